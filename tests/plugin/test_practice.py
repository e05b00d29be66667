"""Practice runs end to end: the block's ``practice_run`` handler, a real grading worker (started
with only the grading queue: it serves the practice queue by itself), the real sandbox, the
real store, and the Run button in real Chromium.

A practice run shows the visible tests' results and the outputs within the request; hidden
tests never run and are never named; it uses no attempt, stores no submission, publishes no
score; the learner's rate limit is exact under concurrent requests; bad input runs nothing.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import servers
from helpers import call, send

from sabaq_grading.worker.prepare import page_notebook
from sabaq_xblock.practice_runs import PracticeRateLimited, PracticeRuns

pytestmark = [pytest.mark.slow]

SECRET_NAME, SECRET_MESSAGE, SECRET_LINE = "zebra-secret-test", "HIDDEN-MSG-7731", "HIDDEN-LINE-5521"
RIGHT = "def double(x):\n    print('doubling', x)\n    return 2 * x\n"
WRONG = "def double(x):\n    return x + 1\n"


def _cell(source: str, grade_id: str, *, solution: bool = False, grade: bool = False, points: float = 0) -> Any:
    meta: dict[str, Any] = {"grade": grade, "grade_id": grade_id, "locked": not solution, "schema_version": 3,
                            "solution": solution, "task": False}
    if grade:
        meta["points"] = points
    return {"cell_type": "code", "execution_count": None, "metadata": {"nbgrader": meta}, "outputs": [],
            "source": source}


def instructor() -> dict[str, Any]:
    """An answer, a visible test with a hidden part, a visible test, and a test that is all hidden."""
    return {
        "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}},
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": "# Doubling\n\nWrite `double(x)`."},
            _cell("def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION", "double",
                  solution=True),
            _cell("print('checking double(2)')\nassert double(2) == 4, 'double(2) should be 4'\n"
                  f"### BEGIN HIDDEN TESTS\nassert double(-3) == -6, '{SECRET_MESSAGE}'  # {SECRET_LINE}\n"
                  "### END HIDDEN TESTS", "test-double", grade=True, points=2),
            _cell("assert double(0) == 0, 'double(0) should be 0'", "test-zero", grade=True, points=1),
            _cell(f"### BEGIN HIDDEN TESTS\nassert double(100) == 200, '{SECRET_MESSAGE}'  # {SECRET_LINE}\n"
                  "### END HIDDEN TESTS", SECRET_NAME, grade=True, points=7),
        ],
    }


def olx(max_attempts: int = 2) -> str:
    enc = lambda nb: json.dumps(nb).replace("]]>", "]]\\u003e")  # noqa: E731
    return (f'<sabaq_notebook display_name="Doubling" max_attempts="{max_attempts}">'
            f"<instructor_notebook><![CDATA[{enc(instructor())}]]></instructor_notebook>"
            f"<student_notebook><![CDATA[{enc(page_notebook(instructor()))}]]></student_notebook>"
            "</sabaq_notebook>")


def _secrets_absent(answer: Any) -> None:
    text = json.dumps(answer)
    for secret in (SECRET_NAME, SECRET_MESSAGE, SECRET_LINE, "points", "score", "BEGIN HIDDEN"):
        assert secret not in text, secret


@pytest.fixture(scope="module")
def practice_live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A workbench with the doubling assignment and one grading worker (``-Q sabaq`` only)."""
    root = tmp_path_factory.mktemp("practice")
    (root / "scenarios").mkdir()
    (root / "scenarios" / "doubling.xml").write_text(olx(), "utf-8")
    port = servers.free_port()
    env = servers.environment(root, port)
    with contextlib.ExitStack() as stack:
        base = stack.enter_context(servers.workbench(root, env, port))
        stack.enter_context(servers.worker(root, env))
        yield {"base": base, "root": root, "data": root / "sabaq", "scenario": "sabaq_notebook.0"}


@pytest.fixture
def unit(course: Any, practice_live: dict[str, Any]) -> Any:
    """The doubling assignment in a test runtime whose store and queue are the live worker's."""
    made = type(course)(practice_live["data"], olx())
    made.bucket.pop("CALLBACK_SECRET")
    return made


def _learner() -> str:
    return f"p-{uuid.uuid4().hex[:10]}"


def _results(data: Path) -> int:
    with contextlib.closing(sqlite3.connect(data / "results.sqlite")) as db:
        return int(db.execute("SELECT count(*) FROM celery_taskmeta").fetchone()[0])


def test_a_practice_run_shows_the_visible_tests_and_outputs(unit: Any) -> None:
    block = unit.block(_learner())
    started = time.monotonic()
    status, answer = call(block, "practice_run", {"answers": {"double": RIGHT}})
    assert status == 200, answer
    assert time.monotonic() - started < 5
    assert answer["practice"] is True and answer["graded"] is False
    assert (answer["passed"], answer["total"]) == (2, 2)
    assert [(t["grade_id"], t["passed"]) for t in answer["tests"]] == [("test-double", True), ("test-zero", True)]
    assert answer["tests"][0]["output"] == "checking double(2)\ndoubling 2\n"
    assert answer["answers"] == [{"grade_id": "double", "status": "ok", "message": "", "output": ""}]
    _secrets_absent(answer)

    status, wrong = call(block, "practice_run", {"answers": {"double": WRONG}})
    assert status == 200 and (wrong["passed"], wrong["total"]) == (0, 2)
    assert wrong["tests"][0]["message"] == ("This check failed: assert double(2) == 4, 'double(2) should be 4'\n"
                                            "AssertionError: double(2) should be 4")
    _secrets_absent(wrong)


def test_a_practice_run_uses_no_attempt_stores_no_submission_publishes_nothing(unit: Any) -> None:
    learner = _learner()
    block = unit.block(learner)
    results = _results(Path(unit.bucket["DATA_DIR"]))
    for _ in range(3):  # more runs than the unit's two attempts
        status, answer = call(block, "practice_run", {"answers": {"double": RIGHT}})
        assert status == 200 and answer["passed"] == 2
    assert unit.runtimes[learner].published == []
    grading = block._grading
    assert grading.store.for_learner(grading.block_id, learner) == []
    assert grading.store.attempts_used(grading.block_id, learner) == 0
    status, state = call(block, "status", {})
    assert status == 200 and state["state"] == "none" and state["attempts_used"] == 0
    assert dict(block.drafts) == {}  # a run saves no draft either
    assert _results(Path(unit.bucket["DATA_DIR"])) == results  # each run's result was forgotten
    assert PracticeRuns(block._settings.submissions_db).recent(learner, 60) == 3  # only when it ran
    status, sub = call(block, "submit", {"answers": {"double": RIGHT}})  # both attempts are still there
    assert status == 200 and sub["state"] == "queued"


def test_the_rate_limit_is_exact_under_concurrent_requests(unit: Any) -> None:
    unit.bucket.update(PRACTICE_RATE_LIMIT=3, PRACTICE_RATE_WINDOW=60)
    learner = _learner()
    blocks = [unit.block(learner) for _ in range(10)]
    answers: list[tuple[int, Any]] = []
    gate = threading.Barrier(len(blocks))

    def run(block: Any) -> None:
        gate.wait()
        answers.append(call(block, "practice_run", {"answers": {"double": RIGHT}}))

    threads = [threading.Thread(target=run, args=(b,)) for b in blocks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert Counter(status for status, _ in answers) == {200: 3, 429: 7}
    refused = [answer for status, answer in answers if status == 429]
    assert all(a["error"].startswith("You are running your code too often. Try again in ") for a in refused)
    _, raw, response = send(unit.block(learner), "practice_run", json.dumps({"answers": {"double": RIGHT}}).encode())
    assert response.status_code == 429 and 1 <= int(response.headers["Retry-After"]) <= 60
    assert f"{response.headers['Retry-After']} seconds" in raw["error"]
    status, _ = call(unit.block(_learner()), "practice_run", {"answers": {"double": RIGHT}})
    assert status == 200  # another learner's budget is their own


@pytest.mark.parametrize(("body", "code"), [
    ({"answers": "def double(x): return 2 * x"}, 400),
    ({"answers": {"double": 5}}, 400),
    ({"answers": {"not-a-cell": RIGHT}}, 400),
    ({"answers": {"test-double": "pass"}}, 400),  # a test is not an answer
    ({"answers": {}}, 400),
    ({"answers": {"double": "x" * (1024 * 1024 + 1)}}, 400),
    ([1, 2], 400),
])
def test_bad_input_runs_nothing(unit: Any, body: Any, code: int) -> None:
    learner = _learner()
    block = unit.block(learner)
    raw = json.dumps(body).encode()
    status, answer, _ = send(block, "practice_run", raw)
    assert status == code and answer["error"]
    assert PracticeRuns(block._settings.submissions_db).recent(learner, 60) == 0


def test_only_post_and_a_bounded_body(unit: Any) -> None:
    block = unit.block(_learner())
    assert send(block, "practice_run", method="GET")[0] == 405
    assert send(block, "practice_run", b"{" * 10)[0] == 400
    assert send(block, "practice_run", b"x" * (3 * 1024 * 1024))[0] == 413


def test_an_endless_loop_and_a_flood_of_output_are_bounded(unit: Any) -> None:
    unit.bucket.update(PRACTICE_TIMEOUT=2)
    block = unit.block(_learner())
    started = time.monotonic()
    status, answer = call(block, "practice_run", {"answers": {"double": RIGHT + "while True:\n    pass\n"}})
    assert status == 200 and time.monotonic() - started < 2 + 5
    assert answer["answers"][0]["status"] == "timeout"
    assert answer["ended"] == "timeout" and "time limit" in answer["message"]
    assert [t["passed"] for t in answer["tests"]] == [False, False]
    status, flood = call(block, "practice_run", {"answers": {"double": RIGHT + "print('y' * 10**7)\n"}})
    assert status == 200 and len(flood["answers"][0]["output"]) <= 4000
    assert flood["answers"][0]["output"].endswith("more characters)")
    _secrets_absent(flood)


def test_no_answer_in_time_is_503_and_counts_a_run_never_queued_does_not(unit: Any) -> None:
    """A run that was queued may still run once the page gave up on it, so it counts (else a learner
    could run without limit by making runs late); a run the broker never took is given back."""
    unit.bucket.update(PRACTICE_QUEUE=f"nobody-{uuid.uuid4().hex[:6]}", PRACTICE_TIMEOUT=1)
    learner = _learner()
    block = unit.block(learner)
    started = time.monotonic()
    status, answer = call(block, "practice_run", {"answers": {"double": RIGHT}})
    assert status == 503 and answer["error"] == "Your code cannot be run right now. Try again in a moment."
    assert time.monotonic() - started < 1 + 5 + 10  # the wait is kept by the clock (generous: a loaded machine)
    assert PracticeRuns(block._settings.submissions_db).recent(learner, 60) == 1
    unit.bucket.update(BROKER_URL="redis://127.0.0.1:1/0")  # nothing listens there: nothing is queued
    status, answer = call(unit.block(learner), "practice_run", {"answers": {"double": RIGHT}})
    assert status == 503
    assert PracticeRuns(block._settings.submissions_db).recent(learner, 60) == 1


def test_a_burst_of_gradings_does_not_hold_up_practice(unit: Any, practice_live: dict[str, Any]) -> None:
    """Gradings keep the grading worker busy; a practice worker of its own answers at once."""
    queue = f"burst-{uuid.uuid4().hex[:6]}"
    unit.bucket.update(QUEUE=queue, MAX_PENDING_PER_LEARNER=0)
    env = servers.environment(practice_live["root"], servers.free_port())
    env.update(SABAQ_QUEUE=queue)
    slow = "import time\ntime.sleep(4)\n" + RIGHT
    with contextlib.ExitStack() as stack:
        stack.enter_context(servers.worker(practice_live["root"], env, f"{queue}.practice", number=2))
        status, _ = call(unit.block(_learner()), "practice_run", {"answers": {"double": RIGHT}})
        assert status == 200  # the practice worker is up, its sandbox warm
        stack.enter_context(servers.worker(practice_live["root"], env, queue, number=1))
        for _ in range(3):
            status, _ = call(unit.block(_learner()), "submit", {"answers": {"double": slow}})
            assert status == 200
        time.sleep(3)  # the grading worker has started and taken the first
        started = time.monotonic()
        status, answer = call(unit.block(_learner()), "practice_run", {"answers": {"double": RIGHT}})
        waited = time.monotonic() - started
    assert status == 200 and answer["passed"] == 2
    assert waited < 2, f"practice waited {waited:.1f} s behind the gradings"


def test_the_store_counts_exactly_on_every_database(db_url: str) -> None:
    runs = PracticeRuns(db_url)
    outcomes: list[str] = []
    gate = threading.Barrier(16)

    def admit() -> None:
        gate.wait()
        try:
            runs.admit("hina", "block-a", 5, 60)
            outcomes.append("run")
        except PracticeRateLimited as refused:
            assert 1 <= refused.retry_after <= 60
            outcomes.append("refused")

    threads = [threading.Thread(target=admit) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert Counter(outcomes) == {"run": 5, "refused": 11}
    assert runs.recent("hina", 60) == 5
    runs.admit("ali", "block-b", 5, 60)  # per learner, across blocks
    first = runs.admit("sara", "block-a", 1, 0.5)
    with pytest.raises(PracticeRateLimited):
        runs.admit("sara", "block-b", 1, 0.5)
    runs.refund(first)
    second = runs.admit("sara", "block-b", 1, 0.5)  # a refunded run does not count
    time.sleep(0.6)
    assert runs.admit("sara", "block-a", 1, 0.5) != second  # the window moved on
    assert runs.recent("sara", 0.5) == 1


# ---- the Run button in the browser ------------------------------------------------------

HOSTILE = ("def double(x):\n    print('<img src=x onerror=window.__sabaq_xss=7><script>window.__sabaq_xss=8"
           "</script>')\n    return 2 * x\n")


def _page(browser: Any, practice_live: dict[str, Any]) -> Any:
    context = browser.new_context(locale="en")
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(f"{practice_live['base']}/view/{practice_live['scenario']}/?student={_learner()}")
    page.wait_for_selector(".sabaq-notebook[data-ready='true']", timeout=20_000)
    return page


def _write(page: Any, code: str) -> None:
    page.locator(".sabaq-answer[data-grade-id='double'] .cm-content").click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(code)


@pytest.mark.browser
def test_the_run_button_shows_a_practice_run_not_graded(browser: Any, practice_live: dict[str, Any],
                                                        screenshots: Path) -> None:
    page = _page(browser, practice_live)
    _write(page, HOSTILE)
    page.locator(".sabaq-practice-run").click()
    page.wait_for_selector(".sabaq-notebook[data-practice='done']", timeout=30_000)
    region = page.locator(".sabaq-practice")
    assert region.get_attribute("role") == "status" and region.get_attribute("aria-live") == "polite"
    assert "Practice run — not graded" in region.inner_text()
    assert "2 of 2 visible tests passed." in region.inner_text()
    assert page.locator(".sabaq-practice .sabaq-test.is-passed").count() == 2
    output = page.locator(".sabaq-practice-tests .sabaq-practice-output").first.text_content()
    assert "<img src=x onerror=window.__sabaq_xss=7>" in (output or "")  # shown as text, never markup
    assert page.evaluate("window.__sabaq_xss") is None
    assert page.locator(".sabaq-practice img, .sabaq-practice script").count() == 0
    assert SECRET_NAME not in page.content() and SECRET_MESSAGE not in page.content()
    assert page.locator(".sabaq-notebook").get_attribute("data-state") in (None, "none")  # nothing submitted
    page.screenshot(path=str(screenshots / "practice-run.png"), full_page=True)
    assert page.errors == []
    page.context.close()


@pytest.mark.browser
def test_the_run_button_works_from_the_keyboard(browser: Any, practice_live: dict[str, Any],
                                                screenshots: Path) -> None:
    page = _page(browser, practice_live)
    _write(page, WRONG)  # a draft, saved as the learner types; from here on, only the keyboard
    page.wait_for_selector(".sabaq-notebook[data-draft-saved='double']")
    page.reload()
    page.wait_for_selector(".sabaq-notebook[data-ready='true']")
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('sabaq-practice-run')"):
            break
    else:
        raise AssertionError("Tab never reached the Run button")
    page.keyboard.press("Enter")
    page.wait_for_selector(".sabaq-notebook[data-practice='done']", timeout=30_000)
    assert "0 of 2 visible tests passed." in page.locator(".sabaq-practice").inner_text()
    assert page.locator(".sabaq-practice .sabaq-test.is-failed").count() == 2
    assert page.evaluate("document.activeElement.classList.contains('sabaq-practice-run')")  # focus stays
    page.screenshot(path=str(screenshots / "practice-run-keyboard.png"), full_page=True)
    assert page.errors == []
    page.context.close()


def test_the_workbench_answers_a_practice_run_over_http(practice_live: dict[str, Any]) -> None:
    client = servers.Client(practice_live["base"], _learner())
    usage = client.usage_id(practice_live["scenario"])
    assert "sabaq-practice-run" in client.page(practice_live["scenario"])
    status, answer = client.post(usage, "practice_run", {"answers": {"double": RIGHT}})
    assert status == 200 and (answer["passed"], answer["total"]) == (2, 2)
    _secrets_absent(answer)
