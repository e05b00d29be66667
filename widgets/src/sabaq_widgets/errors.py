"""Typed exceptions raised by sabaq-widgets.

Every error is a ``SabaqWidgetError`` (and a ``ValueError``, so callers that only know the
standard library still catch bad input). Messages say what was wrong and what to do.
"""

from __future__ import annotations


class SabaqWidgetError(ValueError):
    """Base class of every error raised by sabaq-widgets."""


class InvalidQuestionError(SabaqWidgetError):
    """A question's text, options or settings are unusable (empty, wrong type, duplicates)."""


class InvalidAnswerKeyError(SabaqWidgetError):
    """An answer key does not fit its question (index out of range, bad tolerance, bad regex)."""


class InvalidParameterError(SabaqWidgetError):
    """A ParameterExplorer parameter spec is neither ``(start, stop, step)`` nor a list of choices."""


class GridTooLargeError(SabaqWidgetError):
    """The parameter grid (or the data it produces) is too large to embed in a page."""


class ExplorerFunctionError(SabaqWidgetError):
    """The function given to ParameterExplorer raised or returned something unusable."""


class UnknownKindError(SabaqWidgetError):
    """Scoring was asked for a widget kind this version does not know."""


class InvalidResponseError(SabaqWidgetError):
    """A learner's answer does not have the shape its widget kind expects."""


class NotebookFormatError(SabaqWidgetError):
    """A notebook (or its widget state) is not the nbformat v4 JSON this package expects."""


class UnsafeWidgetError(SabaqWidgetError):
    """Widget state asks for front-end code that static rendering will not run (unknown module)."""


class AttemptsExhaustedError(SabaqWidgetError):
    """The learner has used every attempt the widget allows (``max_attempts``); the check is refused."""
