"""Typed exceptions of the widget rules (answer keys, scoring, attempts).

Every error is a ``SabaqWidgetError`` (and a ``ValueError``, so callers that only know the
standard library still catch bad input); ``sabaq_widgets`` derives its own errors from the
same base. Messages say what was wrong and what to do.
"""

from __future__ import annotations


class SabaqWidgetError(ValueError):
    """Base class of every error raised by the widget rules and by sabaq-widgets."""


class InvalidQuestionError(SabaqWidgetError):
    """A question's text, options or settings are unusable (empty, wrong type, duplicates)."""


class InvalidAnswerKeyError(SabaqWidgetError):
    """An answer key does not fit its question (index out of range, bad tolerance, bad regex)."""


class UnknownKindError(SabaqWidgetError):
    """Scoring was asked for a widget kind this version does not know."""


class InvalidResponseError(SabaqWidgetError):
    """A learner's answer does not have the shape its widget kind expects."""


class NotebookFormatError(SabaqWidgetError):
    """A notebook (or its widget state) is not the nbformat v4 JSON these rules expect."""


class AttemptsExhaustedError(SabaqWidgetError):
    """The learner has used every attempt the widget allows (``max_attempts``); the check is refused."""
