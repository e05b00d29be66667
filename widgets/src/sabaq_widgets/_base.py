"""Shared traits and behaviour of the Sabaq quiz widgets.

A quiz widget's synced state is split in three on purpose: the question and its rules
(shown to everyone), ``key`` (the answer key, stripped from student pages by
``sabaq_contract.widgets.keys.strip_keys``), and the learner's side. Of that side the page writes only
``response``; ``attempts`` and ``result`` belong to whoever scores (this object in a kernel,
the hosting server in an LMS), under the limits of ``attempts.Rules``;
``sabaq_contract.widgets.traits`` lists every kind's synced traits.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import anywidget
import traitlets as t

from sabaq_contract.widgets import attempts as rules_
from sabaq_contract.widgets import scoring
from sabaq_contract.widgets.traits import SERVER_OWNED_TRAITS

from .errors import AttemptsExhaustedError, InvalidQuestionError, SabaqWidgetError
from .i18n import label_tables

_HIDDEN_FROM_REPR = frozenset({"key", "result", "response", "labels", "_esm", "_css", "frames"})


def require_text(name: str, value: object, *, allow_empty: bool = False) -> str:
    """Return ``value`` if it is a (non-empty) string, else raise ``InvalidQuestionError``."""
    if not isinstance(value, str):
        raise InvalidQuestionError(f"{name} must be a string, not {type(value).__name__}")
    if not allow_empty and not value.strip():
        raise InvalidQuestionError(f"{name} must not be empty")
    return value


def feedback_texts(correct: object, incorrect: object) -> dict[str, str]:
    """The answer-key entries of the texts shown after a right and after a wrong answer.

    Raises ``InvalidQuestionError`` if either is not a string.
    """
    return {
        "feedback_correct": require_text("feedback_correct", correct, allow_empty=True),
        "feedback_incorrect": require_text("feedback_incorrect", incorrect, allow_empty=True),
    }


class SabaqWidget(anywidget.AnyWidget):
    """Base of every Sabaq widget: a widget ``kind`` and the UI label tables."""

    kind = t.Unicode(
        read_only=True,
        help="Which Sabaq widget this is; hosts use it to pick the scoring rule.",
    ).tag(sync=True)
    language = t.Unicode(
        "",
        help="UI language ('en', 'ur', ...); empty means follow the page's lang attribute.",
    ).tag(sync=True)
    labels = t.Dict(
        help="UI label tables {language: {label name: text}}; the front end shows no other text.",
    ).tag(sync=True)

    def __init__(
        self, *, language: str = "", labels: Mapping[str, str] | None = None, **kwargs: Any
    ) -> None:
        require_text("language", language, allow_empty=True)
        super().__init__(language=language, labels=label_tables(labels), **kwargs)

    def _repr_keys(self) -> Any:
        # ipywidgets puts every non-default trait in the text/plain output; keep keys out.
        for name in super()._repr_keys():
            if name not in _HIDDEN_FROM_REPR:
                yield name


class QuizWidget(SabaqWidget):
    """A question with an answer key, a learner's response and a verdict."""

    KIND: ClassVar[str] = ""

    question = t.Unicode(help="The question, shown as plain text (never as HTML).").tag(sync=True)
    key = t.Dict(
        help="The answer key; emptied in the student version and kept for server-side scoring.",
    ).tag(sync=True)
    response = t.Dict(
        help="The learner's last checked answer, in the shape scoring.score_answer expects.",
    ).tag(sync=True)
    attempts = t.Int(
        0, help="How many answers were checked; counted by the scorer, never by the learner's page."
    ).tag(sync=True)
    result = t.Dict(
        help="The verdict on the response ({correct, fraction, feedback, explanation, hint, "
        "solved}), set by the scorer: the explanation only once earned (see reveal).",
    ).tag(sync=True)
    max_attempts = t.Int(
        0, min=0, help="How many checks a learner may make; 0 means no limit."
    ).tag(sync=True)
    reveal = t.Enum(
        rules_.REVEAL_POLICIES,
        default_value=rules_.AFTER_CORRECT_OR_EXHAUSTED,
        help="When the explanation is shown: after a right answer or the last attempt "
        "(after_correct_or_exhausted), never, or with every verdict (always).",
    ).tag(sync=True)

    def __init__(
        self,
        *,
        max_attempts: int = 0,
        reveal: str = rules_.AFTER_CORRECT_OR_EXHAUSTED,
        **kwargs: Any,
    ) -> None:
        rules_.Rules(max_attempts, reveal)  # typed errors before traitlets' own
        super().__init__(max_attempts=max_attempts, reveal=reveal, **kwargs)
        self.set_trait("kind", self.KIND)

    @property
    def rules(self) -> rules_.Rules:
        """This widget's attempt limit and reveal policy."""
        return rules_.Rules(self.max_attempts, self.reveal)

    def score(self, answer: Mapping[str, Any]) -> scoring.Score:
        """Score ``answer`` against this widget's key, exactly as a server would."""
        return scoring.score_answer(self.KIND, answer, self.key)

    def check(self, answer: Mapping[str, Any]) -> dict[str, Any]:
        """Check ``answer`` as pressing Check does: score it, count it, return the new ``result``.

        Raises ``AttemptsExhaustedError`` (and changes nothing) once ``max_attempts`` checks
        were made, and ``scoring.score_answer``'s errors for a bad answer or a missing key.
        """
        used, result = rules_.check(
            self.KIND, answer, self.key, attempts=self.attempts, rules=self.rules,
            previous=self.result,
        )
        with self.hold_sync():
            self.response = dict(answer)
            self.attempts = used
            self.result = result
        return result

    def set_state(self, sync_data: dict[str, Any]) -> None:
        """Apply an update from the front end, keeping the counting and scoring here.

        The page reports a check by sending a new ``attempts`` count; its own ``attempts``
        and ``result`` are not taken: this object checks the response itself, so a page
        cannot reset its count, skip the limit or award itself a verdict.
        """
        update = {k: v for k, v in sync_data.items() if k not in SERVER_OWNED_TRAITS}
        before = self.response
        super().set_state(update)
        if "attempts" not in sync_data:
            return
        try:
            self.check(self.response)
        except SabaqWidgetError as error:
            self.response = before
            self.send_state(["response", "attempts", "result"])
            reason = "no_attempts" if isinstance(error, AttemptsExhaustedError) else "invalid"
            self.send({"event": "refused", "reason": reason})
