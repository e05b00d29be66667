"""Practice runs in the grader: the learner's answers and the visible tests, in the real sandbox.

Hidden tests never run and are never named, even when the notebook sent is the instructor's;
a learner's endless loop and flood of output are bounded by the sandbox's limits.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from sabaq_contract.tasks import PRACTICE_OUTPUT_CHARS, PracticeRequest, practice_result
from sabaq_grading.engine import Grader
from sabaq_grading.practice import TIMEOUT_MESSAGE, practice, without_hidden_tests
from sabaq_grading.release import student_notebook
from sabaq_grading.report import BLANK_ANSWER

SECRET_NAME, SECRET_MESSAGE, SECRET_LINE = "zebra-secret-test", "HIDDEN-MSG-7731", "HIDDEN-LINE-5521"


def _cell(source: str, grade_id: str, *, solution: bool = False, grade: bool = False, points: float = 0) -> Any:
    meta: dict[str, Any] = {"grade": grade, "grade_id": grade_id, "locked": not solution, "schema_version": 3,
                            "solution": solution, "task": False}
    if grade:
        meta["points"] = points
    return {"cell_type": "code", "execution_count": None, "metadata": {"nbgrader": meta}, "outputs": [],
            "source": source}


def instructor() -> dict[str, Any]:
    """An answer cell, a visible test with a hidden part, a visible test and an all-hidden test."""
    return {
        "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}},
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": "# Doubling"},
            _cell("def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION", "double",
                  solution=True),
            _cell("print('checking double')\nassert double(2) == 4\n### BEGIN HIDDEN TESTS\n"
                  f"assert False, '{SECRET_MESSAGE}'  # {SECRET_LINE}\n### END HIDDEN TESTS", "test-double",
                  grade=True, points=2),
            _cell("assert double(0) == 0, 'double(0) should be 0'", "test-zero", grade=True, points=1),
            _cell(f"### BEGIN HIDDEN TESTS\nassert False, '{SECRET_MESSAGE}'  # {SECRET_LINE}\n### END HIDDEN TESTS",
                  SECRET_NAME, grade=True, points=7),
        ],
    }


def answered(notebook: dict[str, Any], source: str) -> str:
    filled = json.loads(json.dumps(notebook))
    for cell in filled["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "double":
            cell["source"] = source
    return json.dumps(filled)


@pytest.fixture(scope="module")
def grader() -> Iterator[Grader]:
    with Grader() as made:
        yield made


@pytest.fixture(scope="module")
def student() -> dict[str, Any]:
    return json.loads(json.dumps(student_notebook(json.dumps(instructor()))))


def _secrets_absent(result: dict[str, Any]) -> None:
    text = json.dumps(result)
    for secret in (SECRET_NAME, SECRET_MESSAGE, SECRET_LINE, '"points"', "max_points", "score"):
        assert secret not in text


def test_a_right_answer_passes_the_visible_tests_with_their_output(grader: Grader, student: dict[str, Any]) -> None:
    result = practice(grader, answered(student, "def double(x):\n    print('x is', x)\n    return x + x"))
    assert practice_result(result) == result  # the contract's shape
    assert result["ended"] == "completed"
    rows = {row["grade_id"]: row for row in result["cells"]}
    assert list(rows) == ["double", "test-double", "test-zero"]  # the all-hidden test is not even named
    assert rows["double"] == {"grade_id": "double", "kind": "answer", "status": "ok", "passed": None,
                              "message": "", "output": ""}
    assert rows["test-double"]["passed"] and rows["test-zero"]["passed"]
    assert rows["test-double"]["output"] == "checking double\nx is 2\n"
    _secrets_absent(result)


def test_a_wrong_answer_fails_with_the_visible_line_and_message(grader: Grader, student: dict[str, Any]) -> None:
    result = practice(grader, answered(student, "def double(x):\n    print(undefined_name)"))
    rows = {row["grade_id"]: row for row in result["cells"]}
    assert rows["double"]["status"] == "ok"  # defining the function works
    assert rows["test-double"]["passed"] is False
    assert rows["test-double"]["message"] == "This check failed: assert double(2) == 4\nNameError: name " \
        "'undefined_name' is not defined"
    assert "NameError" in rows["test-double"]["output"]
    assert rows["test-zero"]["passed"] is False
    _secrets_absent(result)


def test_an_error_in_the_answer_cell_is_shown_and_a_blank_one_named(grader: Grader, student: dict[str, Any]) -> None:
    result = practice(grader, answered(student, "1 / 0"))
    answer = result["cells"][0]
    assert answer["status"] == "error" and answer["message"] == "ZeroDivisionError: division by zero"
    assert "ZeroDivisionError" in answer["output"]
    blank = practice(grader, json.dumps(student))  # the release's NotImplementedError stub
    assert blank["cells"][0]["status"] == "ok"  # the stub defines the function; calling it raises
    assert [(row["passed"], row["message"]) for row in blank["cells"][1:]] == [(False, BLANK_ANSWER)] * 2


def test_the_instructor_notebook_never_runs_a_hidden_test(grader: Grader) -> None:
    """The second guard: even the instructor notebook runs only what is visible."""
    result = practice(grader, json.dumps(instructor()))
    rows = {row["grade_id"]: row for row in result["cells"]}
    assert list(rows) == ["double", "test-double", "test-zero"]
    assert rows["test-double"]["passed"]  # its hidden ``assert False`` was cut out before it ran
    _secrets_absent(result)
    assert without_hidden_tests(f"a\n### BEGIN HIDDEN TESTS\n{SECRET_LINE}\n### END HIDDEN TESTS\nb") == "a\nb"


def test_an_endless_loop_is_stopped_by_the_time_limit(grader: Grader, student: dict[str, Any]) -> None:
    started = time.monotonic()
    result = practice(grader, answered(student, "def double(x):\n    return 2 * x\nwhile True:\n    pass"), timeout=2)
    assert time.monotonic() - started < 10
    answer, *tests = result["cells"]
    assert answer["status"] == "timeout" and answer["message"] == TIMEOUT_MESSAGE
    assert result["ended"] == "timeout" and "in cell 'double'" in result["message"]
    assert [(row["status"], row["passed"]) for row in tests] == [("not_run", False)] * 2


def test_a_flood_of_output_is_cut(grader: Grader, student: dict[str, Any]) -> None:
    result = practice(grader, answered(student, "def double(x):\n    return 2 * x\nfor i in range(10**5):\n"
                                                "    print('line', i)"), timeout=5)
    answer = result["cells"][0]
    assert answer["status"] == "ok" and answer["output"].startswith("line 0\nline 1\n")
    assert len(answer["output"]) == PRACTICE_OUTPUT_CHARS and answer["output"].endswith("more characters)")
    assert [row["passed"] for row in result["cells"][1:]] == [True, True]  # the tests still ran
    assert len(json.dumps(result)) < 3 * PRACTICE_OUTPUT_CHARS


@pytest.mark.parametrize("text", ["not json", json.dumps({"cells": "no"}), json.dumps({
    "nbformat": 4, "nbformat_minor": 5, "cells": [],
    "metadata": {"kernelspec": {"name": "ir", "language": "R", "display_name": "R"}}})])
def test_a_bad_notebook_is_refused_and_nothing_runs(grader: Grader, text: str) -> None:
    result = practice(grader, text)
    assert result["ended"] == "refused" and result["cells"] == [] and result["message"]
    assert result["timings"]["code_ms"] == 0.0


def test_the_worker_task_refuses_bad_data_files(student: dict[str, Any]) -> None:
    from sabaq_grading.worker.tasks import practice as task

    request = PracticeRequest(json.dumps(student), {"data.txt": "%%% not base64"}, 5)
    result = task.run(*request.args(), **request.kwargs())
    assert result["ended"] == "refused" and result["cells"] == []
    good = PracticeRequest(answered(student, "def double(x):\n    return open('data.txt').read() * 0 or 2 * x"),
                           {"data.txt": "aGk="}, 5)
    ran = practice_result(task.run(*good.args(), **good.kwargs()))
    assert [row["passed"] for row in ran["cells"] if row["kind"] == "test"] == [True, True]
