"""Attempt limits and what a verdict reveals: one rule for the kernel, the page and the LMS.

A quiz widget's ``max_attempts`` and ``reveal`` traits are the lecturer's; its ``attempts``
and ``result`` traits are the scorer's (``traits.SERVER_OWNED_TRAITS``): a check is scored, counted
and refused once the attempts are used up by whoever holds the key (the Python widget in a
kernel, the hosting server in an LMS), never by the learner's page. The explanation (and
a key's hint, after a wrong answer) is only part of a verdict the learner has earned, so a
server that sends nothing else keeps it out of the page. The front end applies the same rule
when the key is in the page (``_common.js``, ``verdict``). No Jupyter imports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import AttemptsExhaustedError, InvalidQuestionError
from .scoring import Score, score_answer

AFTER_CORRECT_OR_EXHAUSTED = "after_correct_or_exhausted"
REVEAL_POLICIES = (AFTER_CORRECT_OR_EXHAUSTED, "never", "always")
"""When the explanation is shown: once the learner has answered right or used every attempt
(the default), never, or with every verdict."""

@dataclass(frozen=True)
class Rules:
    """A widget's limits: ``max_attempts`` checks (0: no limit) and its ``reveal`` policy."""

    max_attempts: int = 0
    reveal: str = AFTER_CORRECT_OR_EXHAUSTED

    def __post_init__(self) -> None:
        if (
            not isinstance(self.max_attempts, int)
            or isinstance(self.max_attempts, bool)
            or self.max_attempts < 0
        ):
            raise InvalidQuestionError(
                f"max_attempts must be a whole number, 0 for no limit, not {self.max_attempts!r}"
            )
        if self.reveal not in REVEAL_POLICIES:
            raise InvalidQuestionError(
                f"reveal must be one of {', '.join(REVEAL_POLICIES)}, not {self.reveal!r}"
            )

    @classmethod
    def of(cls, state: Mapping[str, Any]) -> Rules:
        """The rules in a widget's saved model state (defaults for state saved before them)."""
        return cls(
            state.get("max_attempts", 0),
            state.get("reveal", AFTER_CORRECT_OR_EXHAUSTED),
        )

    def exhausted(self, attempts: int) -> bool:
        """True when ``attempts`` checks leave none to make."""
        return bool(self.max_attempts) and attempts >= self.max_attempts

    def reveals(self, *, solved: bool, attempts: int) -> bool:
        """Whether a verdict after ``attempts`` checks carries the explanation."""
        if self.reveal == "always":
            return True
        return self.reveal == AFTER_CORRECT_OR_EXHAUSTED and (solved or self.exhausted(attempts))


def verdict(
    score: Score, *, attempts: int, rules: Rules, previous: Mapping[str, Any]
) -> dict[str, Any]:
    """The ``result`` trait after a check scored ``score``, the ``attempts``-th one.

    ``previous`` is the result before it: once a learner has answered right (``solved``)
    the explanation stays theirs. ``hint`` is only sent after an answer that is not right.
    """
    solved = score.correct or previous.get("solved") is True
    shown = rules.reveals(solved=solved, attempts=attempts)
    return {
        "correct": score.correct,
        "fraction": score.fraction,
        "feedback": score.feedback,
        "explanation": score.explanation if shown else "",
        "hint": "" if score.correct else score.hint,
        "solved": solved,
    }


def check(
    kind: str,
    answer: Mapping[str, Any],
    key: Mapping[str, Any],
    *,
    attempts: int,
    rules: Rules,
    previous: Mapping[str, Any],
) -> tuple[int, dict[str, Any]]:
    """Score one more check of ``answer`` after ``attempts`` checks: ``(attempts + 1, result)``.

    Raises ``AttemptsExhaustedError`` when ``rules`` allow no more checks (nothing is
    scored), and ``score_answer``'s errors for a bad answer or key.
    """
    if rules.exhausted(attempts):
        raise AttemptsExhaustedError(
            f"all {rules.max_attempts} attempts are used; the answer was not checked"
        )
    score = score_answer(kind, answer, key)
    used = attempts + 1
    return used, verdict(score, attempts=used, rules=rules, previous=previous)
