"""Server-owned widget attempts: learners cannot write counts or verdicts, limits hold, and the
explanation (and a numeric hint) reaches the page only when earned.

Block tests through TestRuntime, then HTTP and Chromium against a real workbench holding a
lesson of quizzes with limits.
"""

from __future__ import annotations

import contextlib
import json
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import servers
from conftest import Course
from helpers import call
from servers import Client

from sabaq_xblock import i18n

MC_WHY = "MC-EXPLANATION: S is the only compartment that never grows."
NUM_WHY = "NUM-EXPLANATION: R0 = beta / gamma = 2.5."
NUM_HINT = "NUM-HINT: divide beta by gamma."
NEVER_WHY = "NEVER-EXPLANATION: Karachi is the capital."
OPEN_WHY = "OPEN-EXPLANATION: a is right."
SECRETS = (MC_WHY, NUM_WHY, NUM_HINT, NEVER_WHY, OPEN_WHY)


def quiz_lesson() -> tuple[dict[str, Any], dict[str, str]]:
    """A lesson of four quizzes with limits and reveal policies, and their model ids by name."""
    from sabaq_widgets import MultipleChoice, NumericAnswer, ShortAnswer
    from sabaq_widgets.state import notebook_from_widgets

    quizzes = {
        "mc": MultipleChoice("Which compartment shrinks first?", ["infected", "susceptible", "recovered"],
                             answer=1, explanation=MC_WHY, max_attempts=2),
        "num": NumericAnswer("R0 when beta = 0.5 and gamma = 0.2?", 2.5, abs_tol=0.05, hint=NUM_HINT,
                             explanation=NUM_WHY, max_attempts=3),
        "never": ShortAnswer("Capital of Sindh?", ["Karachi"], explanation=NEVER_WHY, reveal="never"),
        "open": MultipleChoice("Pick a.", ["a", "b"], answer=0, explanation=OPEN_WHY),
    }
    nb = dict(notebook_from_widgets(list(quizzes.values())))
    nb["cells"].insert(0, {"cell_type": "markdown", "metadata": {}, "source": "# Quizzes"})
    return nb, {name: quiz.model_id for name, quiz in quizzes.items()}


def olx_of(instructor: dict[str, Any], name: str = "Quizzes") -> str:
    """A block holding ``instructor`` and the student version the grading package makes of it."""
    from sabaq_grading.worker.prepare import page_notebook

    enc = lambda nb: json.dumps(nb).replace("]]>", "]]\\u003e")  # noqa: E731
    return (
        f'<sabaq_notebook display_name="{name}">'
        f"<instructor_notebook><![CDATA[{enc(instructor)}]]></instructor_notebook>"
        f"<student_notebook><![CDATA[{enc(page_notebook(instructor))}]]></student_notebook>"
        "</sabaq_notebook>"
    )


def quiz_olx() -> tuple[str, dict[str, str]]:
    instructor, ids = quiz_lesson()
    return olx_of(instructor), ids


@pytest.fixture
def quizzes(tmp_path: Path) -> tuple[Course, dict[str, str]]:
    olx, ids = quiz_olx()
    return Course(tmp_path, olx), ids


def _check(block: Any, model_id: str, response: dict[str, Any]) -> tuple[int, Any]:
    return call(block, "widget_state", {"action": "save", "model_id": model_id, "state": {"response": response}})


def _loaded(block: Any, model_id: str) -> dict[str, Any]:
    status, data = call(block, "widget_state", {"action": "load"})
    assert status == 200, data
    return dict(data["models"][model_id]["state"])


# ---- TestRuntime ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "state",
    [
        {"attempts": 0},
        {"result": {"correct": True, "fraction": 1.0}},
        {"result": {"explanation": "mine"}},
        {"response": {"selected": [0]}, "attempts": 0},
        {"response": {"selected": [1]}, "result": {"correct": True}},
    ],
)
def test_learner_cannot_write_server_owned_traits(quizzes: tuple[Course, dict[str, str]],
                                                  state: dict[str, Any]) -> None:
    course, ids = quizzes
    assert _check(course.block(), ids["mc"], {"selected": [0]})[0] == 200
    before = _loaded(course.block(), ids["mc"])
    status, data = call(course.block(), "widget_state", {"action": "save", "model_id": ids["mc"], "state": state})
    assert status == 403 and data["error"] == i18n.error_message("widget_server_owned")
    assert _loaded(course.block(), ids["mc"]) == before, "a refused write changes nothing"
    assert before["attempts"] == 1 and before["result"]["correct"] is False


@pytest.mark.parametrize(
    "state",
    [{"correct": True}, {"explanation": MC_WHY}, {"max_attempts": 100}, {"reveal": "always"}, {"key": {}},
     {"solved": True}],
)
def test_learner_cannot_write_other_traits(quizzes: tuple[Course, dict[str, str]], state: dict[str, Any]) -> None:
    course, ids = quizzes
    status, _ = call(course.block(), "widget_state", {"action": "save", "model_id": ids["mc"], "state": state})
    assert status == 400
    loaded = _loaded(course.block(), ids["mc"])
    assert (loaded["attempts"], loaded["result"], loaded["max_attempts"]) == (0, {}, 2)


def test_a_response_is_a_check_of_the_kinds_answer_only(quizzes: tuple[Course, dict[str, str]]) -> None:
    course, ids = quizzes
    status, data = _check(course.block(), ids["open"], {"selected": [1], "correct": True, "explanation": "x"})
    assert status == 200 and data["state"]["response"] == {"selected": [1]}
    assert data["state"]["result"]["correct"] is False
    for bad in ({"value": "1"}, "a", {"selected": "0"}):
        assert call(course.block(), "widget_state", {"action": "save", "model_id": ids["open"],
                                                     "state": {"response": bad}})[0] == 400
    assert _loaded(course.block(), ids["open"])["attempts"] == 1


def test_explanation_is_absent_before_the_right_answer_and_present_after(
        quizzes: tuple[Course, dict[str, str]]) -> None:
    course, ids = quizzes
    block = course.block()
    page = block.render("student_view")
    everything = page.body_html() + json.dumps(page.json_init_args) + json.dumps(
        call(block, "widget_state", {"action": "load"})[1])
    for secret in SECRETS:
        assert secret not in everything
    status, wrong = _check(course.block(), ids["open"], {"selected": [1]})
    assert status == 200 and OPEN_WHY not in json.dumps(wrong)
    assert OPEN_WHY not in json.dumps(call(course.block(), "widget_state", {"action": "load"})[1])
    status, right = _check(course.block(), ids["open"], {"selected": [0]})
    assert status == 200 and right["state"]["result"]["explanation"] == OPEN_WHY
    assert _loaded(course.block(), ids["open"])["result"]["explanation"] == OPEN_WHY
    # Solved stays solved: a later wrong answer keeps the explanation the learner earned.
    again = _check(course.block(), ids["open"], {"selected": [1]})[1]["state"]["result"]
    assert (again["correct"], again["explanation"]) == (False, OPEN_WHY)
    assert OPEN_WHY not in json.dumps(call(course.block("learner2"), "widget_state", {"action": "load"})[1])


def test_attempts_run_out_then_checks_are_refused(quizzes: tuple[Course, dict[str, str]]) -> None:
    course, ids = quizzes
    first = _check(course.block(), ids["mc"], {"selected": [0]})[1]["state"]
    assert (first["attempts"], first["result"]["explanation"]) == (1, "")
    last = _check(course.block(), ids["mc"], {"selected": [2]})[1]["state"]
    assert (last["attempts"], last["result"]["correct"], last["result"]["explanation"]) == (2, False, MC_WHY)
    for language in ("en", "ur"):
        status, data = _check(course.block(), ids["mc"], {"selected": [1]})
        assert status == 403 and data["error"] == i18n.error_message("widget_no_attempts")
        assert i18n.error_message("widget_no_attempts", language)
    assert i18n.error_message("widget_no_attempts", "ur") != i18n.error_message("widget_no_attempts", "en")
    state = _loaded(course.block(), ids["mc"])
    assert (state["attempts"], state["response"], state["result"]["correct"]) == (2, {"selected": [2]}, False)
    # Another learner has their own attempts.
    assert _check(course.block("learner2"), ids["mc"], {"selected": [1]})[0] == 200


def test_numeric_hint_after_a_wrong_answer(quizzes: tuple[Course, dict[str, str]]) -> None:
    course, ids = quizzes
    wrong = _check(course.block(), ids["num"], {"value": "3"})[1]["state"]["result"]
    assert (wrong["hint"], wrong["explanation"]) == (NUM_HINT, "")
    right = _check(course.block(), ids["num"], {"value": "۲٫۵"})[1]["state"]["result"]
    assert (right["correct"], right["hint"], right["explanation"]) == (True, "", NUM_WHY)


def test_reveal_never_keeps_the_explanation_on_the_server(quizzes: tuple[Course, dict[str, str]]) -> None:
    course, ids = quizzes
    answer = _check(course.block(), ids["never"], {"text": "karachi"})[1]
    assert answer["state"]["result"]["correct"] is True and NEVER_WHY not in json.dumps(answer)


def test_old_learner_written_values_are_not_trusted(quizzes: tuple[Course, dict[str, str]]) -> None:
    course, ids = quizzes
    block = course.block()
    block.widget_values = {ids["mc"]: {"attempts": -5, "result": {"correct": True, "explanation": "x"},
                                       "response": {"selected": [1]}}}
    block.save()
    state = _loaded(course.block(), ids["mc"])
    assert (state["attempts"], state["result"], state["response"]) == (0, {}, {"selected": [1]})
    for _ in range(2):
        assert _check(course.block(), ids["mc"], {"selected": [0]})[0] == 200
    assert _check(course.block(), ids["mc"], {"selected": [1]})[0] == 403


def _in_parallel(count: int, work: Any) -> list[Any]:
    start = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        start.wait()
        results[index] = work(index)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_parallel_checks_never_exceed_the_limit(quizzes: tuple[Course, dict[str, str]]) -> None:
    course, ids = quizzes
    blocks = [course.block() for _ in range(16)]
    statuses = _in_parallel(16, lambda i: _check(blocks[i], ids["num"], {"value": "1"})[0])
    assert sorted(statuses) == [200] * 3 + [403] * 13
    assert _loaded(course.block(), ids["num"])["attempts"] == 3


def test_parallel_checks_are_all_counted(quizzes: tuple[Course, dict[str, str]]) -> None:
    course, ids = quizzes
    blocks = [course.block() for _ in range(12)]
    answers = _in_parallel(12, lambda i: _check(blocks[i], ids["open"], {"selected": [1]}))
    assert [status for status, _ in answers] == [200] * 12
    assert sorted(data["state"]["attempts"] for _, data in answers) == list(range(1, 13))
    assert _loaded(course.block(), ids["open"])["attempts"] == 12


def test_checks_of_explorers_and_of_broken_rules_are_refused(tmp_path: Path) -> None:
    import notebooks

    lesson = Course(tmp_path / "lesson", notebooks.widget_lesson_olx())
    _, loaded = call(lesson.block(), "widget_state", {"action": "load"})
    explorer = next(m for m, spec in loaded["models"].items() if spec["kind"] == "parameter_explorer")
    assert _check(lesson.block(), explorer, {"selection": [1]})[0] == 400
    saved = call(lesson.block(), "widget_state", {"action": "save", "model_id": explorer,
                                                  "state": {"selection": [1]}})
    assert saved == (200, {"state": {}}) and _loaded(lesson.block(), explorer)["selection"] == [1]

    instructor, ids = quiz_lesson()
    instructor["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"][ids["mc"]][
        "state"]["max_attempts"] = "lots"
    broken = Course(tmp_path / "broken", olx_of(instructor, "Broken"))
    status, data = _check(broken.block(), ids["mc"], {"selected": [1]})
    assert status == 400 and data["error"] == i18n.error_message("bad_widget")
    assert _check(broken.block(), ids["open"], {"selected": [0]})[0] == 200


def test_a_check_that_keeps_losing_the_race_is_refused_with_409(tmp_path: Path) -> None:
    from sabaq_xblock.errors import Conflict
    from sabaq_xblock.widget_checks import MAX_TRIES, Record, WidgetChecks

    store = WidgetChecks(f"sqlite:///{tmp_path / 'checks.sqlite'}", "block", "learner")
    rivals = []

    def losing(current: Record) -> Record:
        rivals.append(store.check("quiz", lambda rival: Record(rival.attempts + 1)))
        return Record(current.attempts + 1)

    with pytest.raises(Conflict) as raised:
        store.check("quiz", losing)
    assert raised.value.code == "widget_busy" and raised.value.status == 409
    assert store.records()["quiz"].attempts == len(rivals) == MAX_TRIES
    with pytest.raises(ValueError, match="exactly one attempt"):
        store.check("quiz", lambda current: Record(current.attempts + 2))
    assert i18n.error_message("widget_busy", "ur") != i18n.error_message("widget_busy", "en")


# ---- a real workbench ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("attempts")
    (root / "scenarios").mkdir()
    olx, ids = quiz_olx()
    (root / "scenarios" / "quizzes.xml").write_text(olx, "utf-8")
    port = servers.free_port()
    with contextlib.ExitStack() as stack:
        base = stack.enter_context(servers.workbench(root, servers.environment(root, port), port))
        yield {"base": base, "scenario": "sabaq_notebook.0", "ids": ids}


def _client(bench: dict[str, Any]) -> tuple[Client, str]:
    client = Client(bench["base"], f"q-{uuid.uuid4().hex[:8]}")
    return client, client.usage_id(bench["scenario"])


@pytest.mark.slow
def test_http_learner_cannot_write_counts_verdicts_or_explanations(bench: dict[str, Any]) -> None:
    client, usage = _client(bench)
    mc = bench["ids"]["mc"]
    page = client.page(bench["scenario"])
    for secret in SECRETS:
        assert secret not in page
    for state, expected in (({"attempts": 0}, 403), ({"result": {"correct": True}}, 403),
                            ({"result": {"explanation": MC_WHY}}, 403), ({"correct": True}, 400),
                            ({"explanation": MC_WHY}, 400)):
        status, data = client.post(usage, "widget_state", {"action": "save", "model_id": mc, "state": state})
        assert status == expected and data["error"], (state, data)
    status, data = client.post(usage, "widget_state", {"action": "load"})
    assert status == 200 and data["models"][mc]["state"]["attempts"] == 0
    assert not any(secret in json.dumps(data) for secret in SECRETS)
    for response in ({"selected": [0]}, {"selected": [2]}):
        status, data = client.post(usage, "widget_state", {"action": "save", "model_id": mc,
                                                           "state": {"response": response}})
        assert status == 200
    assert data["state"]["attempts"] == 2 and data["state"]["result"]["explanation"] == MC_WHY
    status, data = client.post(usage, "widget_state", {"action": "save", "model_id": mc,
                                                       "state": {"response": {"selected": [1]}}})
    assert status == 403 and data["error"] == i18n.error_message("widget_no_attempts")


@pytest.mark.slow
def test_http_parallel_checks_never_exceed_the_limit(bench: dict[str, Any]) -> None:
    client, usage = _client(bench)
    num = bench["ids"]["num"]
    body = {"action": "save", "model_id": num, "state": {"response": {"value": "7"}}}
    statuses = _in_parallel(12, lambda i: client.post(usage, "widget_state", body)[0])
    assert sorted(statuses) == [200] * 3 + [403] * 9
    status, data = client.post(usage, "widget_state", {"action": "load"})
    assert status == 200
    state = data["models"][num]["state"]
    assert state["attempts"] == 3 and state["result"]["explanation"] == NUM_WHY


@pytest.mark.slow
@pytest.mark.browser
def test_quiz_shows_the_explanation_only_after_the_right_answer(browser: Any, bench: dict[str, Any],
                                                                screenshots: Path) -> None:
    context = browser.new_context(locale="en")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{bench['base']}/view/{bench['scenario']}/?student=browser-{uuid.uuid4().hex[:8]}")
    page.wait_for_function(
        "document.querySelectorAll(\".sabaq-widget-view[data-mounted='true']\").length == 4")
    quiz = page.locator(".sabaq-mc").last
    status = quiz.get_by_role("status")
    quiz.get_by_label("b", exact=True).check()
    quiz.get_by_role("button", name="Check").click()
    quiz.locator(".is-incorrect").wait_for()
    assert OPEN_WHY not in page.content()
    numeric = page.locator(".sabaq-numeric")
    numeric.locator("input").fill("3")
    numeric.get_by_role("button", name="Check").click()
    numeric.locator(".sabaq-quiz-hint").wait_for()
    assert NUM_HINT in numeric.inner_text() and NUM_WHY not in page.content()
    quiz.get_by_label("a", exact=True).check()
    quiz.get_by_role("button", name="Check").click()
    quiz.locator(".is-correct").wait_for()
    assert f"Explanation: {OPEN_WHY}" in status.inner_text()
    page.screenshot(path=str(screenshots / "widget-explanation-after-right-answer.png"), full_page=True)

    limited = page.locator(".sabaq-mc").first
    saved = "document.querySelector('.sabaq-notebook').dataset.widgetSaved"
    for label in ("infected", "recovered"):
        before = page.evaluate(saved)
        limited.get_by_label(label, exact=True).check()
        limited.get_by_role("button", name="Check").click()
        page.wait_for_function(f"(before) => {saved} !== before", arg=before)
    limited.locator(".sabaq-no-attempts").wait_for()
    assert limited.get_by_label("recovered", exact=True).is_checked()
    assert MC_WHY in limited.inner_text() and limited.get_by_role("button", name="Check").is_disabled()
    page.screenshot(path=str(screenshots / "widget-attempts-used-up.png"), full_page=True)

    page.reload()
    page.wait_for_function(
        "document.querySelectorAll(\".sabaq-widget-view[data-mounted='true']\").length == 4")
    assert OPEN_WHY in page.locator(".sabaq-mc").last.inner_text()
    assert page.locator(".sabaq-mc").first.get_by_role("button", name="Check").is_disabled()
    assert errors == []
    context.close()
