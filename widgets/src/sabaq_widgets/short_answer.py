"""ShortAnswer: a few words checked against accepted answers or a regular expression."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from sabaq_contract.widgets.assets import widget_module

from ._base import QuizWidget, feedback_texts, require_text
from .errors import InvalidAnswerKeyError


class ShortAnswer(QuizWidget):
    """A question answered with a short text.

    The answer is right when, after trimming and collapsing spaces (and lower-casing unless
    ``case_sensitive``), it equals one of ``accepted`` or fully matches ``pattern``. Keep
    patterns to the syntax Python and JavaScript share (classes, groups, ``|``, ``?``,
    ``*``, ``+``, ``{m,n}``): the browser checks with the same pattern. ``explanation``
    is shown as ``reveal`` says (by default once answered right or out of attempts).
    """

    KIND = "short_answer"
    _esm, _css = widget_module(KIND)

    def __init__(
        self,
        question: str,
        accepted: Sequence[str] = (),
        *,
        pattern: str = "",
        case_sensitive: bool = False,
        feedback_correct: str = "",
        feedback_incorrect: str = "",
        explanation: str = "",
        language: str = "",
        labels: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        require_text("question", question)
        if isinstance(accepted, str) or not isinstance(accepted, Sequence):
            raise InvalidAnswerKeyError("accepted must be a list of strings")
        answers = [require_text(f"accepted answer {i}", a) for i, a in enumerate(accepted)]
        require_text("pattern", pattern, allow_empty=True)
        if not answers and not pattern:
            raise InvalidAnswerKeyError("give at least one accepted answer or a pattern")
        if pattern:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise InvalidAnswerKeyError(f"pattern {pattern!r} is not a valid regular expression: {exc}") from exc
        feedback = feedback_texts(feedback_correct, feedback_incorrect)
        super().__init__(
            question=question,
            key={
                "accepted": answers,
                "pattern": pattern,
                "case_sensitive": bool(case_sensitive),
                **feedback,
                "explanation": require_text("explanation", explanation, allow_empty=True),
            },
            language=language,
            labels=labels,
            **kwargs,
        )
