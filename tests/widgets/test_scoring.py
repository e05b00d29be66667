"""Server-side scoring and answer-key stripping (pure functions)."""

from __future__ import annotations

import copy
import json

import pytest

from sabaq_contract.widgets.errors import (
    InvalidAnswerKeyError,
    InvalidResponseError,
    NotebookFormatError,
    UnknownKindError,
)
from sabaq_contract.widgets.keys import STRIPPED_SOURCE, WIDGET_STATE_MIME, strip_keys, widget_states
from sabaq_contract.widgets.scoring import Score, parse_number, score_answer
from sabaq_widgets import MultipleChoice, NumericAnswer, ParameterExplorer, ShortAnswer
from sabaq_widgets.state import notebook_from_widgets

MC_KEY = {"answer": [1], "feedback": ["no: a", "yes: b", "no: c"], "explanation": "b because"}
MULTI_KEY = {"answer": [0, 2], "feedback": [], "explanation": ""}


@pytest.mark.parametrize(
    ("key", "selected", "correct", "fraction", "feedback"),
    [
        (MC_KEY, [1], True, 1.0, "yes: b"),
        (MC_KEY, [0], False, 0.0, "no: a"),
        (MULTI_KEY, [0, 2], True, 1.0, ""),
        (MULTI_KEY, [0], False, 0.5, ""),
        (MULTI_KEY, [0, 1], False, 0.0, ""),
        (MULTI_KEY, [0, 1, 2], False, 0.5, ""),
        (MULTI_KEY, [], False, 0.0, ""),
    ],
)
def test_multiple_choice(key: dict, selected: list, correct: bool, fraction: float, feedback: str) -> None:
    score = score_answer("multiple_choice", {"selected": selected}, key)
    assert (score.correct, score.fraction, score.feedback) == (correct, fraction, feedback)
    assert score.explanation == key["explanation"]


@pytest.mark.parametrize(
    ("value", "correct"),
    [("2.5", True), ("2.54", True), ("2.56", False), (2.5, True), ("۲٫۵", True), ("٢٫٥", True),
     (" 2.5 ", True), ("2,5", False), ("abc", False), ("", False), ("inf", False), ("0x10", False),
     (True, False), (None, False), ("25e-1", True)],
)
def test_numeric(value: object, correct: bool) -> None:
    key = {"answer": 2.5, "abs_tol": 0.05, "rel_tol": 1e-6,
           "feedback_correct": "well done", "feedback_incorrect": "recheck"}
    score = score_answer("numeric", {"value": value}, key)
    assert score.correct is correct
    assert score.feedback == ("well done" if correct else "recheck")


def test_numeric_relative_tolerance() -> None:
    key = {"answer": 1000.0, "abs_tol": 0.0, "rel_tol": 0.01}
    assert score_answer("numeric", {"value": "1009"}, key).correct
    assert not score_answer("numeric", {"value": "1011"}, key).correct


def test_parse_number() -> None:
    assert parse_number("−3") == -3.0
    assert parse_number("1\u00a0000") == 1000.0
    assert parse_number(float("nan")) is None
    assert parse_number([1]) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "key", "correct"),
    [
        ("Karachi", {"accepted": ["karachi"]}, True),
        ("  KARACHI  ", {"accepted": ["Karachi"]}, True),
        ("Karachi", {"accepted": ["karachi"], "case_sensitive": True}, False),
        ("Lahore", {"accepted": ["Karachi"]}, False),
        ("colour", {"accepted": [], "pattern": "colou?r"}, True),
        ("colours", {"accepted": [], "pattern": "colou?r"}, False),
        ("کراچی", {"accepted": ["کراچی"]}, True),
    ],
)
def test_short_answer(text: str, key: dict, correct: bool) -> None:
    assert score_answer("short_answer", {"text": text}, key).correct is correct


@pytest.mark.parametrize(
    ("kind", "answer", "key", "error"),
    [
        ("essay", {}, {}, UnknownKindError),
        ("multiple_choice", {"selected": "1"}, MC_KEY, InvalidResponseError),
        ("multiple_choice", {"selected": [True]}, MC_KEY, InvalidResponseError),
        ("multiple_choice", {"selected": [1]}, {"answer": []}, InvalidAnswerKeyError),
        ("multiple_choice", [1], MC_KEY, InvalidResponseError),
        ("multiple_choice", {"selected": [1]}, [1], InvalidAnswerKeyError),
        ("numeric", {"v": 1}, {"answer": 1}, InvalidResponseError),
        ("numeric", {"value": 1}, {"answer": "1"}, InvalidAnswerKeyError),
        ("short_answer", {"text": 3}, {"accepted": ["a"]}, InvalidResponseError),
    ],
)
def test_scoring_errors(kind: str, answer: object, key: object, error: type) -> None:
    with pytest.raises(error):
        score_answer(kind, answer, key)  # type: ignore[arg-type]


def test_score_carries_the_keys_texts() -> None:
    key = {"answer": 2.0, "hint": "h", "explanation": "e", "feedback_incorrect": "no"}
    assert score_answer("numeric", {"value": "3"}, key) == Score(False, 0.0, "no", "e", "h")
    assert score_answer("short_answer", {"text": "a"}, {"accepted": ["a"], "explanation": 3}) == Score(
        True, 1.0, "", "", "")


def _lesson() -> tuple[dict, list]:
    widgets = [
        MultipleChoice("Which?", ["a", "b", "c"], answer=1, feedback=["x", "y", "z"], explanation="e"),
        NumericAnswer("R0?", 2.5, abs_tol=0.05),
        ShortAnswer("City?", ["Karachi"]),
        ParameterExplorer(lambda a: {"x": [0, 1], "y": [a, a]}, {"a": [1, 2]}, x_label="x", y_label="y"),
    ]
    return notebook_from_widgets(widgets), widgets


def test_strip_keys_moves_every_key_out() -> None:
    notebook, widgets = _lesson()
    lecturer = widget_states(notebook)[widgets[0].model_id]["state"]
    lecturer.update(response={"selected": [1]}, attempts=2, result={"correct": True})
    original = copy.deepcopy(notebook)
    student, keys = strip_keys(notebook)
    assert notebook == original, "strip_keys must not modify its input"
    mc, num, short, explorer = widgets
    assert keys == {
        mc.model_id: {"kind": "multiple_choice", "key": mc.key},
        num.model_id: {"kind": "numeric", "key": num.key},
        short.model_id: {"kind": "short_answer", "key": short.key},
    }
    states = widget_states(student)
    for model_id in keys:
        state = states[model_id]["state"]
        assert (state["key"], state["response"], state["attempts"], state["result"]) == ({}, {}, 0, {})
    assert states[explorer.model_id] == widget_states(original)[explorer.model_id]
    text = json.dumps(student)
    assert '"explanation": "e"' not in text and "Karachi" not in text
    cell = student["cells"][0]
    assert cell["source"] == STRIPPED_SOURCE
    assert cell["metadata"]["jupyter"]["source_hidden"] is True
    assert cell["metadata"]["sabaq"] == {"key_stripped": True}
    outputs = cell["outputs"]
    assert all(o["data"]["text/plain"] in ("Sabaq question widget", "ParameterExplorer") for o in outputs)
    again, more = strip_keys(student)
    assert again == student and more == {}


def test_stripped_keys_score_on_the_server() -> None:
    notebook, widgets = _lesson()
    _student, keys = strip_keys(notebook)
    entry = keys[widgets[0].model_id]
    assert score_answer(entry["kind"], {"selected": [1]}, entry["key"]).correct


def test_strip_keys_rejects_non_notebooks() -> None:
    with pytest.raises(NotebookFormatError):
        strip_keys({"cells": "nope"})
    with pytest.raises(NotebookFormatError):
        widget_states({"cells": [], "metadata": {"widgets": {WIDGET_STATE_MIME: {"state": []}}}})
    assert strip_keys({"cells": [], "metadata": {}}) == ({"cells": [], "metadata": {}}, {})
