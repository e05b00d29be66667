"""Scoring a learner's answer against an answer key, with no Jupyter imports.

``score_answer`` is the one scoring rule of every quiz kind: the widget in a kernel, the
LMS block and the grader call it, and the front end scores with the same rules when the
key is present (a lecturer's own JupyterLab), so a learner sees the same verdict in every
place. The keys themselves come from ``keys.strip_keys``. Standard library only.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import InvalidAnswerKeyError, InvalidResponseError, UnknownKindError
from .keys import KINDS

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_DIGITS: dict[int, str | None] = {ord(c): str(i) for i, c in enumerate("٠١٢٣٤٥٦٧٨٩")}
_DIGITS.update({ord(c): str(i) for i, c in enumerate("۰۱۲۳۴۵۶۷۸۹")})
_DIGITS.update({0x066B: ".", 0x066C: None, 0x2212: "-", 0x00A0: None, 0x2009: None, 0x202F: None})


ANSWER_FIELDS = {"multiple_choice": "selected", "numeric": "value", "short_answer": "text"}
"""The one field of each kind's answer (its ``response`` trait) that scoring reads."""


@dataclass(frozen=True)
class Score:
    """The verdict on one answer: ``fraction`` of full marks in [0, 1] and the key's texts.

    ``explanation`` and ``hint`` are the key's, whatever the verdict: what a learner may see
    of them depends on the widget's attempts and reveal policy (``attempts.verdict``).
    """

    correct: bool
    fraction: float
    feedback: str
    explanation: str = ""
    hint: str = ""


def parse_number(text: str | float | int) -> float | None:
    """Read a learner's number: ASCII or Urdu/Arabic-Indic digits, ``٫`` or ``.`` as decimal point.

    Returns ``None`` for anything that is not a plain decimal number (no ``inf``, no hex),
    matching the front end's parser exactly.
    """
    if isinstance(text, bool):
        return None
    if isinstance(text, int | float):
        return float(text) if math.isfinite(text) else None
    if not isinstance(text, str):
        return None
    cleaned = text.translate(_DIGITS).replace(" ", "")
    if not _NUMBER.fullmatch(cleaned):
        return None
    value = float(cleaned)
    return value if math.isfinite(value) else None


def normalize_text(text: str, *, case_sensitive: bool) -> str:
    """Normalise a short answer: NFC, trimmed, inner whitespace collapsed, lower-cased unless asked."""
    text = " ".join(unicodedata.normalize("NFC", text).split())
    return text if case_sensitive else text.lower()


def _score_multiple_choice(answer: Mapping[str, Any], key: Mapping[str, Any]) -> Score:
    selected = answer.get("selected")
    if not isinstance(selected, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in selected
    ):
        raise InvalidResponseError("multiple_choice answer must be {'selected': [option index, ...]}")
    expected = key.get("answer")
    if not isinstance(expected, list) or not expected:
        raise InvalidAnswerKeyError("multiple_choice key must have 'answer': [option index, ...]")
    chosen, right = set(selected), set(expected)
    hits, misses = len(chosen & right), len(chosen - right)
    fraction = max(0.0, (hits - misses) / len(right))
    correct = chosen == right
    option_feedback = key.get("feedback") or []
    notes = [
        option_feedback[i]
        for i in sorted(chosen)
        if 0 <= i < len(option_feedback) and option_feedback[i]
    ]
    return Score(correct, 1.0 if correct else fraction, "\n".join(notes), *_texts(key))


def _score_numeric(answer: Mapping[str, Any], key: Mapping[str, Any]) -> Score:
    if "value" not in answer:
        raise InvalidResponseError("numeric answer must be {'value': number or text}")
    expected = key.get("answer")
    if not isinstance(expected, int | float) or isinstance(expected, bool):
        raise InvalidAnswerKeyError("numeric key must have a number 'answer'")
    value = parse_number(answer["value"])
    correct = value is not None and math.isclose(
        value,
        float(expected),
        rel_tol=float(key.get("rel_tol", 1e-6)),
        abs_tol=float(key.get("abs_tol", 0.0)),
    )
    text = key.get("feedback_correct", "") if correct else key.get("feedback_incorrect", "")
    return Score(correct, 1.0 if correct else 0.0, text, *_texts(key))


def _score_short_answer(answer: Mapping[str, Any], key: Mapping[str, Any]) -> Score:
    text = answer.get("text")
    if not isinstance(text, str):
        raise InvalidResponseError("short_answer answer must be {'text': string}")
    case_sensitive = bool(key.get("case_sensitive", False))
    given = normalize_text(text, case_sensitive=case_sensitive)
    accepted = {normalize_text(a, case_sensitive=case_sensitive) for a in key.get("accepted", [])}
    correct = given in accepted
    pattern = key.get("pattern") or ""
    if not correct and pattern:
        flags = 0 if case_sensitive else re.IGNORECASE
        correct = re.fullmatch(pattern, given, flags) is not None
    text_out = key.get("feedback_correct", "") if correct else key.get("feedback_incorrect", "")
    return Score(correct, 1.0 if correct else 0.0, text_out, *_texts(key))


def _texts(key: Mapping[str, Any]) -> tuple[str, str]:
    """The key's explanation and hint (empty when absent or not text)."""
    explanation, hint = key.get("explanation"), key.get("hint")
    return (explanation if isinstance(explanation, str) else "", hint if isinstance(hint, str) else "")


_SCORERS = {
    "multiple_choice": _score_multiple_choice,
    "numeric": _score_numeric,
    "short_answer": _score_short_answer,
}


def score_answer(kind: str, answer: Mapping[str, Any], key: Mapping[str, Any]) -> Score:
    """Score a learner's ``answer`` (the widget's ``response`` trait) against ``key``.

    ``kind`` and ``key`` come from ``strip_keys``. Raises ``UnknownKindError`` for a kind
    this version does not know and ``InvalidResponseError`` for an answer of the wrong
    shape (a host should answer such a request with HTTP 400).
    """
    scorer = _SCORERS.get(kind)
    if scorer is None:
        raise UnknownKindError(f"no scoring for widget kind {kind!r}; known kinds: {', '.join(KINDS)}")
    if not isinstance(answer, Mapping):
        raise InvalidResponseError(f"a {kind} answer must be a JSON object, not {type(answer).__name__}")
    if not isinstance(key, Mapping):
        raise InvalidAnswerKeyError(f"a {kind} key must be a JSON object, not {type(key).__name__}")
    return scorer(answer, key)
