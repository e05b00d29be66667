"""MultipleChoice: one or several right options, per-option feedback, an explanation."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

import traitlets as t

from sabaq_contract.widgets.assets import widget_module

from ._base import QuizWidget, require_text
from .errors import InvalidAnswerKeyError, InvalidQuestionError


class MultipleChoice(QuizWidget):
    """A multiple-choice question.

    ``answer`` is the index of the right option, or a list of indexes when ``multiple`` is
    true (checkboxes instead of radio buttons). ``feedback`` gives one text per option,
    shown when the learner picks it; ``explanation`` is shown as ``reveal`` says (by
    default once the learner has answered right or used all ``max_attempts``). With
    ``shuffle`` the options appear in a fixed random order (``seed`` makes it repeatable);
    indexes always refer to the order given here.
    """

    KIND = "multiple_choice"
    _esm, _css = widget_module(KIND)

    options = t.List(t.Unicode(), help="Option texts, shown as plain text.").tag(sync=True)
    multiple = t.Bool(False, help="True when several options may be right (checkboxes).").tag(
        sync=True
    )
    order = t.List(t.Int(), help="Display order of the options (indexes into options).").tag(
        sync=True
    )

    def __init__(
        self,
        question: str,
        options: Sequence[str],
        answer: int | Sequence[int],
        *,
        multiple: bool = False,
        shuffle: bool = False,
        feedback: Sequence[str] | None = None,
        explanation: str = "",
        seed: int | None = None,
        language: str = "",
        labels: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        require_text("question", question)
        opts = _check_options(options)
        right = _check_answer(answer, len(opts), multiple=multiple)
        notes = _check_feedback(feedback, len(opts))
        require_text("explanation", explanation, allow_empty=True)
        order = list(range(len(opts)))
        if shuffle:
            random.Random(seed).shuffle(order)
        super().__init__(
            question=question,
            options=opts,
            multiple=bool(multiple),
            order=order,
            key={"answer": right, "feedback": notes, "explanation": explanation},
            language=language,
            labels=labels,
            **kwargs,
        )

    @property
    def answer(self) -> list[int]:
        """Indexes of the right options (empty once the key was stripped)."""
        return list(self.key.get("answer", []))


def _check_options(options: Sequence[str]) -> list[str]:
    if isinstance(options, str) or not isinstance(options, Sequence):
        raise InvalidQuestionError("options must be a list of strings")
    opts = [require_text(f"option {i}", o) for i, o in enumerate(options)]
    if len(opts) < 2:
        raise InvalidQuestionError(f"a multiple-choice question needs at least 2 options, got {len(opts)}")
    if len(set(opts)) != len(opts):
        raise InvalidQuestionError("options must be different from each other")
    return opts


def _check_answer(answer: int | Sequence[int], count: int, *, multiple: bool) -> list[int]:
    indexes = [answer] if isinstance(answer, int) else answer
    if isinstance(indexes, str) or not isinstance(indexes, Sequence) or not indexes:
        raise InvalidAnswerKeyError("answer must be an option index or a non-empty list of them")
    for i in indexes:
        if not isinstance(i, int) or isinstance(i, bool):
            raise InvalidAnswerKeyError(f"answer indexes must be integers, got {i!r}")
        if not 0 <= i < count:
            raise InvalidAnswerKeyError(f"answer index {i} is out of range for {count} options")
    if len(set(indexes)) != len(indexes):
        raise InvalidAnswerKeyError("answer lists the same option twice")
    if not multiple and len(indexes) != 1:
        raise InvalidAnswerKeyError("several right answers need multiple=True")
    return sorted(indexes)


def _check_feedback(feedback: Sequence[str] | None, count: int) -> list[str]:
    if feedback is None:
        return []
    if isinstance(feedback, str) or not isinstance(feedback, Sequence) or len(feedback) != count:
        raise InvalidQuestionError(f"feedback must be a list of {count} strings, one per option")
    return [require_text(f"feedback {i}", f, allow_empty=True) for i, f in enumerate(feedback)]
