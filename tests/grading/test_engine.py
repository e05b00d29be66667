"""The grading engine end to end: real nbgrader preprocessors, real sandbox, real reports."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from nbformat import NotebookNode

from sabaq_grading.engine import Assignment, Grader, GradingSettings
from sabaq_grading.feedback import feedback_html, visible_sources
from sabaq_grading.report import BLANK_ANSWER, HIDDEN_FAILURE, validate_report
from sabaq_grading.sandbox import Limits, sandbox_available

pytestmark = pytest.mark.skipif(sandbox_available() is not None, reason=f"no sandbox: {sandbox_available()}")
Fill = Callable[[NotebookNode, dict[str, str]], NotebookNode]
HIDDEN_SOURCE = "square(-4) == 16"


@pytest.fixture(scope="module")
def grader() -> Iterator[Grader]:
    with Grader(GradingSettings(workers=2, limits=Limits(cell_timeout=3, total_timeout=20))) as grader:
        yield grader


@pytest.fixture(scope="module")
def assignment(grader: Grader, squares_path: Path) -> Assignment:
    return grader.assignment(squares_path)


def grade(grader: Grader, assignment: Assignment, submission: Any) -> dict[str, Any]:
    report = grader.grade(assignment, submission)
    validate_report(report)
    assert HIDDEN_SOURCE not in json.dumps(report)
    return report


def scores(report: dict[str, Any]) -> dict[str, float]:
    return {test["grade_id"]: test["points"] for test in report["tests"]}


def test_reference_solution_earns_full_marks(grader: Grader, assignment: Assignment, instructor: NotebookNode) -> None:
    report = grade(grader, assignment, instructor)
    assert report["status"] == "graded"
    # as nbgrader: the written answer's point counts in the maximum and waits for a tutor
    assert (report["score"], report["max_score"], report["needs_manual_grade"]) == (5.0, 6.0, True)
    assert report["assignment"]["name"] == "squares"
    assert report["warnings"] == []
    assert report["timings"]["total_ms"] >= report["timings"]["code_ms"] > 0


def test_blank_student_version_earns_zero(grader: Grader, assignment: Assignment, release: NotebookNode) -> None:
    report = grade(grader, assignment, release)
    assert report["status"] == "graded"
    assert report["score"] == 0
    assert all(t["message"] == BLANK_ANSWER for t in report["tests"])  # blank says blank, hidden or not
    # left as released: nbgrader gives the written answer 0 automatically, nothing for a tutor to do
    assert report["manual"] == [{"grade_id": "explain-mean", "max_points": 1.0, "answered": False,
                                 "kind": "answer", "points": 0.0, "needs_manual_grade": False}]
    assert report["needs_manual_grade"] is False


def test_hidden_test_failure_says_nothing_of_the_hidden_code(
    grader: Grader, assignment: Assignment, release: NotebookNode, answered: Fill, correct: dict[str, str]
) -> None:
    only_visible = {**correct, "square": "def square(x):\n    return {3: 9, 0: 0}[x]"}
    report = grade(grader, assignment, answered(release, only_visible))
    square = report["tests"][0]
    assert (square["hidden"], square["passed"], square["message"]) == (True, False, HIDDEN_FAILURE)
    assert "output" not in square
    assert scores(report) == {"test-square": 0.0, "test-mean": 3.0}


def test_hidden_test_source_cannot_be_leaked_through_an_exception(
    grader: Grader, assignment: Assignment, release: NotebookNode, answered: Fill, correct: dict[str, str]
) -> None:
    leak = (
        "import inspect, linecache\n"
        "def square(x):\n"
        "    frame = inspect.currentframe().f_back\n"
        "    lines = ''.join(linecache.getlines(frame.f_code.co_filename)) or str(frame.f_code.co_filename)\n"
        "    print(lines)\n"
        "    raise AssertionError(lines + repr(frame.f_globals.get('_ih', '')))"
    )
    report = grade(grader, assignment, answered(release, {**correct, "square": leak}))
    # the failing check is visible: it is named, but nothing the student's code put in the error
    # (reaching the test's frame is refused, and the refusal is not a built-in exception)
    assert report["tests"][0]["message"] == "This check failed: assert isinstance(square(3), int)\nan error"
    page = feedback_html(report, visible_sources=visible_sources(assignment.release))
    assert HIDDEN_SOURCE not in page
    assert "assert square(3) == 9" in page  # the visible part is shown


def test_wrong_answer_reports_the_visible_failure(
    grader: Grader, assignment: Assignment, release: NotebookNode, answered: Fill, correct: dict[str, str]
) -> None:
    report = grade(grader, assignment, answered(release, {**correct, "mean": "def mean(values):\n    return 1"}))
    mean = report["tests"][1]
    assert not mean["passed"]
    assert mean["message"] == "This check failed: assert isinstance(mean([1, 2]), float)\nAssertionError"
    assert scores(report) == {"test-square": 2.0, "test-mean": 0.0}


def test_mangled_notebook_still_grades(
    grader: Grader, assignment: Assignment, release: NotebookNode, answered: Fill, correct: dict[str, str]
) -> None:
    submission = answered(release, correct)
    for cell in submission.cells:
        cell.metadata = NotebookNode()
        cell.pop("id", None)
    submission.cells = [c for c in submission.cells if not c.source.startswith("assert")]  # tests deleted too
    report = grade(grader, assignment, submission)
    assert report["score"] == 5.0
    assert any("restored" in warning for warning in report["warnings"])


def test_a_submission_saved_in_nbformat_3_grades_as_in_nbformat_4(
    grader: Grader, assignment: Assignment, release: NotebookNode, answered: Fill, correct: dict[str, str]
) -> None:
    """Read as ``nbformat.read(..., as_version=4)`` reads it (nbgrader's way): v3's own reader
    first (worksheets, sources as lists of lines, heading cells), then the upgrade."""
    import nbformat

    submission = answered(release, {**correct, "mean": "def mean(values):\n    return 1"})
    v3 = json.loads(nbformat.writes(nbformat.convert(copy.deepcopy(submission), 3), version=3))
    assert v3["nbformat"] == 3 and isinstance(v3["worksheets"][0]["cells"][0]["source"], list)
    # a heading cell, which v4 has no more (upgraded to markdown), its source a list of lines
    v3["worksheets"][0]["cells"].insert(0, {"cell_type": "heading", "level": 2, "metadata": {},
                                            "source": ["Squares ", "and means"]})
    old, new = grade(grader, assignment, json.dumps(v3).encode()), grade(grader, assignment, submission)
    assert old["status"] == new["status"] == "graded", old.get("error")
    assert scores(old) == scores(new) == {"test-square": 2.0, "test-mean": 0.0}
    assert old["score"] == new["score"]


def test_duplicated_and_edited_test_cells_earn_nothing_extra(
    grader: Grader, assignment: Assignment, release: NotebookNode, answered: Fill, correct: dict[str, str]
) -> None:
    submission = answered(release, {**correct, "square": "def square(x):\n    return 0"})
    tests = [
        c
        for c in submission.cells
        if c.metadata["nbgrader"].get("grade") and not c.metadata["nbgrader"].get("solution")
    ]
    for cell in tests:
        cell.source = "pass"
        cell.metadata["nbgrader"]["points"] = 100
    submission.cells.extend(copy.deepcopy(tests))
    report = grade(grader, assignment, submission)
    assert (report["score"], report["max_score"]) == (3.0, 6.0)


@pytest.mark.parametrize(
    ("submission", "kind"),
    [
        (b"this is not json", "invalid_notebook"),
        (b'{"cells": "nope"}', "invalid_notebook"),
        (
            b'{"cells": [{"cell_type": "video", "source": ""}], "nbformat": 4, "nbformat_minor": 5, "metadata": {}}',
            "invalid_notebook",
        ),
        (b"[" * 100_000, "invalid_notebook"),
    ],
)
def test_bad_input_is_a_clear_error(grader: Grader, assignment: Assignment, submission: bytes, kind: str) -> None:
    report = grade(grader, assignment, submission)
    assert report["status"] == "error"
    assert report["error"]["kind"] == kind
    assert report["error"]["message"]
    assert report["max_score"] == 6.0


WRONG_TYPES = (None, 7, "x", [], {}, True)  # every JSON type but the one a part should have


def _json_paths(value: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield at
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        yield from _json_paths(child, (*at, key))


def _replaced(notebook: dict[str, Any], path: tuple[Any, ...], value: Any) -> bytes:
    changed = copy.deepcopy(notebook)
    owner = changed
    for key in path[:-1]:
        owner = owner[key]
    owner[path[-1]] = value
    return json.dumps(changed).encode()


def test_a_submission_of_any_shape_gets_a_report(
    grader: Grader, assignment: Assignment, release: NotebookNode, answered: Fill, correct: dict[str, str]
) -> None:
    """Every part of a right answer's metadata (the notebook's, each cell's and its nbgrader
    metadata) and each cell's type, replaced by each JSON type in turn: a report every time,
    graded or a named error, never an exception (a list as ``schema_version`` raised before)."""
    import nbformat

    right = json.loads(nbformat.writes(answered(release, correct)))
    paths = [p for p in _json_paths(right) if p[:1] == ("metadata",) or p[2:3] in (("metadata",), ("cell_type",))]
    kinds: set[Any] = set()
    for path in paths:
        for wrong in WRONG_TYPES:
            report = grader.grade(assignment, _replaced(right, path, wrong))
            validate_report(report)
            kinds.add((report["status"], (report.get("error") or {}).get("kind")))
    assert kinds <= {("graded", None), ("error", "invalid_notebook"), ("error", "unsupported_metadata"),
                     ("error", "wrong_assignment")}, kinds


def test_an_instructor_notebook_of_any_shape_is_prepared_or_refused_with_a_reason(instructor: NotebookNode) -> None:
    """The same for every part of the instructor's notebook: a ``NotebookError`` naming what is
    wrong, or an assignment (``nbgrader: null`` on a cell raised before)."""
    import nbformat

    from sabaq_grading.errors import NotebookError
    from sabaq_grading.notebook import read_notebook
    from sabaq_grading.static_checks import static_problems

    source = json.loads(nbformat.writes(instructor))
    paths = [p for p in _json_paths(source) if p[:1] == ("metadata",) or p[2:3] in (("metadata",), ("cell_type",),
                                                                                   ("source",))]
    outcomes = {"prepared": 0, "refused": 0}
    for path in paths:
        for wrong in (*WRONG_TYPES, "has space", 10**30):
            text = _replaced(source, path, wrong)
            try:
                static_problems(read_notebook(text), "squares.ipynb")
                Assignment.from_notebook(text.decode(), name="squares", files={"numbers.csv": b"1\n2\n"})
            except NotebookError as error:
                assert str(error), (path, wrong)
                outcomes["refused"] += 1
            else:
                outcomes["prepared"] += 1
    assert outcomes["prepared"] and outcomes["refused"]


def test_huge_notebook_is_refused_before_parsing(assignment: Assignment) -> None:
    small = Grader(GradingSettings(max_notebook_bytes=1000))
    report = small.grade(assignment, b" " * 2000)
    validate_report(report)
    assert report["error"]["kind"] == "too_large"
    small.close()


def test_notebook_of_another_assignment_is_refused(grader: Grader, assignment: Assignment) -> None:
    other = {
        "cells": [
            {
                "cell_type": "code",
                "source": "x = 1",
                "metadata": {
                    "nbgrader": {
                        "grade": True,
                        "solution": False,
                        "grade_id": "unrelated",
                        "points": 1,
                        "locked": True,
                        "schema_version": 3,
                    }
                },
                "outputs": [],
                "execution_count": None,
            }
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 4,
    }
    report = grade(grader, assignment, other)
    assert report["error"]["kind"] == "wrong_assignment"


def test_endless_loop_is_cut_off_and_reported(
    grader: Grader, assignment: Assignment, release: NotebookNode, answered: Fill, correct: dict[str, str]
) -> None:
    submission = answered(release, {**correct, "square": "def square(x):\n    while True:\n        pass"})
    report = grade(grader, assignment, submission)
    assert report["status"] == "graded"
    square = report["tests"][0]
    assert not square["passed"]
    assert "time" in square["message"]


def test_exiting_the_interpreter_earns_nothing_for_later_tests(
    grader: Grader, assignment: Assignment, release: NotebookNode, answered: Fill, correct: dict[str, str]
) -> None:
    submission = answered(release, {**correct, "mean": "import os\nos._exit(0)"})
    report = grade(grader, assignment, submission)
    assert report["status"] == "graded", report["error"]
    assert scores(report) == {"test-square": 2.0, "test-mean": 0.0}
    assert "did not run" in report["tests"][1]["message"]


def test_code_cannot_read_the_instructor_notebook_or_course(grader: Grader, squares_path: Path) -> None:
    from sabaq_grading.sandbox import Cell

    probe = (
        "import os\n"
        f"for path in [{str(squares_path)!r}, {str(squares_path.parents[2])!r}, {str(squares_path.parents[4])!r}]:\n"
        "    try:\n"
        "        print(path, 'readable', len(open(path).read()) if os.path.isfile(path) else os.listdir(path))\n"
        "    except OSError as error:\n"
        "        print(path, type(error).__name__)\n"
    )
    result = grader.executor.run([Cell("probe", probe, "code")])
    text = "".join(output.get("text", "") for output in result.cells[0].outputs)
    assert "readable" not in text
    assert text.count("FileNotFoundError") == 3
