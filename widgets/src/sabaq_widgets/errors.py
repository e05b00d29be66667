"""Typed exceptions raised by sabaq-widgets.

The errors of the widget rules (answer keys, scoring, attempts) are defined in
``sabaq_contract.widgets.errors`` and re-exported here; the ones below belong to the
widget classes and static rendering. Every one is a ``SabaqWidgetError`` (and a
``ValueError``). Messages say what was wrong and what to do.
"""

from __future__ import annotations

from sabaq_contract.widgets.errors import (
    AttemptsExhaustedError,
    InvalidAnswerKeyError,
    InvalidQuestionError,
    InvalidResponseError,
    NotebookFormatError,
    SabaqWidgetError,
    UnknownKindError,
)

__all__ = [
    "AttemptsExhaustedError",
    "ExplorerFunctionError",
    "GridTooLargeError",
    "InvalidAnswerKeyError",
    "InvalidParameterError",
    "InvalidQuestionError",
    "InvalidResponseError",
    "NotebookFormatError",
    "SabaqWidgetError",
    "UnknownKindError",
    "UnsafeWidgetError",
]


class InvalidParameterError(SabaqWidgetError):
    """A ParameterExplorer parameter spec is neither ``(start, stop, step)`` nor a list of choices."""


class GridTooLargeError(SabaqWidgetError):
    """The parameter grid (or the data it produces) is too large to embed in a page."""


class ExplorerFunctionError(SabaqWidgetError):
    """The function given to ParameterExplorer raised or returned something unusable."""


class UnsafeWidgetError(SabaqWidgetError):
    """Widget state asks for front-end code that static rendering will not run (unknown module)."""
