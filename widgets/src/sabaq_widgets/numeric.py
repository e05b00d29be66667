"""NumericAnswer: a number checked within a tolerance, with an optional unit."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import traitlets as t

from sabaq_contract.widgets.assets import widget_module

from ._base import QuizWidget, feedback_texts, require_text
from .errors import InvalidAnswerKeyError


class NumericAnswer(QuizWidget):
    """A question answered with a number.

    The answer is right when ``math.isclose(value, answer, rel_tol=rel_tol, abs_tol=abs_tol)``.
    Learners may type Urdu digits and ``٫`` as the decimal point. ``unit`` is shown next to
    the input; the feedback texts are shown after a right or a wrong answer, ``hint`` after
    every wrong one, ``explanation`` as ``reveal`` says (by default once the learner has
    answered right or used all ``max_attempts``). Hint and explanation live in the key, so a
    student page only receives them with a verdict that earns them.
    """

    KIND = "numeric"
    _esm, _css = widget_module(KIND)

    unit = t.Unicode("", help="Unit shown after the input box (plain text).").tag(sync=True)

    def __init__(
        self,
        question: str,
        answer: float,
        *,
        abs_tol: float = 0.0,
        rel_tol: float = 1e-6,
        unit: str = "",
        feedback_correct: str = "",
        feedback_incorrect: str = "",
        hint: str = "",
        explanation: str = "",
        language: str = "",
        labels: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        require_text("question", question)
        value = _finite("answer", answer)
        tolerances = {"abs_tol": _finite("abs_tol", abs_tol), "rel_tol": _finite("rel_tol", rel_tol)}
        for name, tol in tolerances.items():
            if tol < 0:
                raise InvalidAnswerKeyError(f"{name} must not be negative, got {tol}")
        require_text("unit", unit, allow_empty=True)
        feedback = feedback_texts(feedback_correct, feedback_incorrect)
        texts = {
            "hint": require_text("hint", hint, allow_empty=True),
            "explanation": require_text("explanation", explanation, allow_empty=True),
        }
        super().__init__(
            question=question,
            unit=unit,
            key={"answer": value, **tolerances, **feedback, **texts},
            language=language,
            labels=labels,
            **kwargs,
        )

    @property
    def hint(self) -> str:
        """The hint shown after a wrong answer (empty once the key was stripped)."""
        return str(self.key.get("hint", ""))

    @property
    def answer(self) -> float | None:
        """The right value (None once the key was stripped)."""
        value = self.key.get("answer")
        return float(value) if value is not None else None


def _finite(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidAnswerKeyError(f"{name} must be a number, not {type(value).__name__}")
    if not math.isfinite(value):
        raise InvalidAnswerKeyError(f"{name} must be finite, got {value}")
    return float(value)
