"""Shared traits and behaviour of the Sabaq quiz widgets.

A quiz widget's synced state is split in two on purpose: the question (shown to
everyone) and ``key`` (the answer key, stripped from student pages by
``scoring.strip_keys``). ``response``, ``attempts`` and ``result`` are the learner's side,
written by the front end and, in an LMS, by the host that scores on the server.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import anywidget
import traitlets as t

from . import scoring
from .errors import InvalidQuestionError
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
    attempts = t.Int(0, help="How many times the learner pressed Check.").tag(sync=True)
    result = t.Dict(
        help="The verdict on the response ({correct, fraction, feedback, explanation}); "
        "set by the front end when the key is present, else by the hosting server.",
    ).tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.set_trait("kind", self.KIND)

    def score(self, answer: Mapping[str, Any]) -> scoring.Score:
        """Score ``answer`` against this widget's key, exactly as a server would."""
        return scoring.score_answer(self.KIND, answer, self.key)
