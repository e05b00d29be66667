"""Attempt limits and reveal policy: the shared rule, and the Python widget enforcing it.

``QuizWidget.set_state`` is what ipywidgets calls with each update a kernel receives from the
page, so calling it here is the learner's page talking to the kernel, minus the socket.
"""

from __future__ import annotations

from typing import Any

import pytest

from sabaq_contract.widgets.attempts import AFTER_CORRECT_OR_EXHAUSTED, Rules, check, verdict
from sabaq_contract.widgets.scoring import Score
from sabaq_contract.widgets.traits import SERVER_OWNED_TRAITS
from sabaq_widgets import MultipleChoice, NumericAnswer, ShortAnswer, errors

WRONG = Score(False, 0.0, "no", "EXPLAINED", "HINTED")
RIGHT = Score(True, 1.0, "yes", "EXPLAINED", "HINTED")


@pytest.mark.parametrize(
    ("score", "attempts", "rules", "previous", "explanation", "hint"),
    [
        (WRONG, 1, Rules(), {}, "", "HINTED"),
        (RIGHT, 1, Rules(), {}, "EXPLAINED", ""),
        (WRONG, 1, Rules(2), {}, "", "HINTED"),
        (WRONG, 2, Rules(2), {}, "EXPLAINED", "HINTED"),
        (WRONG, 3, Rules(), {"solved": True}, "EXPLAINED", "HINTED"),
        (WRONG, 3, Rules(), {"solved": "yes"}, "", "HINTED"),
        (RIGHT, 1, Rules(reveal="never"), {}, "", ""),
        (WRONG, 5, Rules(5, "never"), {}, "", "HINTED"),
        (WRONG, 1, Rules(reveal="always"), {}, "EXPLAINED", "HINTED"),
    ],
)
def test_verdict_reveals_only_what_is_earned(
    score: Score, attempts: int, rules: Rules, previous: dict[str, Any], explanation: str, hint: str
) -> None:
    result = verdict(score, attempts=attempts, rules=rules, previous=previous)
    assert (result["explanation"], result["hint"]) == (explanation, hint)
    assert result["solved"] is (score.correct or previous.get("solved") is True)
    assert (result["correct"], result["fraction"], result["feedback"]) == (
        score.correct, score.fraction, score.feedback)


def test_check_counts_and_refuses_when_used_up() -> None:
    key = {"answer": [1], "explanation": "because"}
    used, result = check("multiple_choice", {"selected": [0]}, key, attempts=0, rules=Rules(1),
                         previous={})
    assert used == 1 and result["explanation"] == "because"
    with pytest.raises(errors.AttemptsExhaustedError, match="all 1 attempts"):
        check("multiple_choice", {"selected": [1]}, key, attempts=1, rules=Rules(1), previous={})


@pytest.mark.parametrize(
    ("max_attempts", "reveal", "match"),
    [(-1, AFTER_CORRECT_OR_EXHAUSTED, "max_attempts"), (True, AFTER_CORRECT_OR_EXHAUSTED, "max_attempts"),
     ("3", AFTER_CORRECT_OR_EXHAUSTED, "max_attempts"), (0, "sometimes", "reveal must be one of")],
)
def test_rules_are_validated(max_attempts: Any, reveal: Any, match: str) -> None:
    with pytest.raises(errors.InvalidQuestionError, match=match):
        Rules(max_attempts, reveal)
    with pytest.raises(errors.InvalidQuestionError, match=match):
        MultipleChoice("Q?", ["a", "b"], answer=0, max_attempts=max_attempts, reveal=reveal)
    with pytest.raises(errors.InvalidQuestionError, match=match):
        Rules.of({"max_attempts": max_attempts, "reveal": reveal})


def test_rules_of_old_state_are_the_defaults() -> None:
    assert Rules.of({}) == Rules(0, AFTER_CORRECT_OR_EXHAUSTED)
    assert {"attempts", "result"} == SERVER_OWNED_TRAITS


def test_widget_check_enforces_the_limit() -> None:
    quiz = MultipleChoice("Q?", ["a", "b", "c"], answer=1, explanation="SECRET", max_attempts=2)
    assert quiz.check({"selected": [0]})["explanation"] == ""
    assert quiz.check({"selected": [2]})["explanation"] == "SECRET"
    before = (quiz.response, quiz.attempts, quiz.result)
    with pytest.raises(errors.AttemptsExhaustedError):
        quiz.check({"selected": [1]})
    assert (quiz.response, quiz.attempts, quiz.result) == before


def test_numeric_hint_after_a_wrong_answer_explanation_after_the_right_one() -> None:
    quiz = NumericAnswer("R0?", 2.5, abs_tol=0.05, hint="Divide beta by gamma.",
                         explanation="R0 = beta / gamma = 2.5.", feedback_incorrect="Not yet.")
    wrong = quiz.check({"value": "3"})
    assert (wrong["hint"], wrong["explanation"], wrong["feedback"]) == ("Divide beta by gamma.", "", "Not yet.")
    right = quiz.check({"value": "٢٫٥"})
    assert (right["hint"], right["explanation"]) == ("", "R0 = beta / gamma = 2.5.")
    assert quiz.attempts == 2


def test_short_answer_explanation_never() -> None:
    quiz = ShortAnswer("City?", ["Karachi"], explanation="The capital.", reveal="never")
    assert quiz.check({"text": "karachi"})["explanation"] == ""


class _Sent:
    """Records the state the kernel would resend to the page, and its custom messages."""

    def __init__(self, quiz: Any) -> None:
        self.states: list[list[str]] = []
        self.messages: list[Any] = []
        # ipywidgets sends each changed trait by name; a resend names several.
        quiz.send_state = lambda key=None: isinstance(key, list) and self.states.append(sorted(key))
        quiz.send = lambda content, buffers=None: self.messages.append(content)


def test_page_cannot_write_the_count_or_the_verdict_in_a_kernel() -> None:
    quiz = MultipleChoice("Q?", ["a", "b"], answer=1, explanation="SECRET", max_attempts=1)
    _Sent(quiz)
    quiz.set_state({"result": {"correct": True, "explanation": "mine"}})
    assert quiz.result == {} and quiz.attempts == 0
    # A check from the page: it counts one (the page's own count and verdict are ignored).
    quiz.set_state({"response": {"selected": [0]}, "attempts": 0,
                    "result": {"correct": True, "fraction": 1.0}})
    assert quiz.attempts == 1 and quiz.result["correct"] is False
    assert quiz.result["explanation"] == "SECRET", "the last attempt earns the explanation"


def test_kernel_refuses_a_check_beyond_the_limit() -> None:
    quiz = MultipleChoice("Q?", ["a", "b"], answer=1, max_attempts=1)
    sent = _Sent(quiz)
    quiz.set_state({"response": {"selected": [0]}, "attempts": 1})
    quiz.set_state({"response": {"selected": [1]}, "attempts": 2})
    assert (quiz.attempts, quiz.response, quiz.result["correct"]) == (1, {"selected": [0]}, False)
    assert sent.messages == [{"event": "refused", "reason": "no_attempts"}]
    assert sent.states == [["attempts", "response", "result"]]


def test_kernel_refuses_a_malformed_check() -> None:
    quiz = NumericAnswer("Q?", 1.0)
    sent = _Sent(quiz)
    quiz.set_state({"response": {"wrong": 1}, "attempts": 1})
    assert (quiz.attempts, quiz.response) == (0, {})
    assert sent.messages == [{"event": "refused", "reason": "invalid"}]


def test_selection_and_other_traits_still_apply() -> None:
    quiz = MultipleChoice("Q?", ["a", "b"], answer=1)
    quiz.set_state({"response": {"selected": [1]}})
    assert quiz.response == {"selected": [1]} and quiz.attempts == 0, "no count: no check"
