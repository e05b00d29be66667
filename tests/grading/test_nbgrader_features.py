"""nbgrader 0.9 behaviours, each on a small notebook built here and graded by the real engine.

Partial credit, ``NBGRADER_EXECUTION``, manual and task points, old and too-new metadata,
invalid notebooks, AUTOTEST, ``IgnorePattern`` and what feedback says about failures.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from sabaq_grading.autotest import AutotestError
from sabaq_grading.engine import Assignment, Grader, GradingSettings
from sabaq_grading.errors import NotebookError
from sabaq_grading.metadata_schema import UnsupportedMetadata
from sabaq_grading.report import BLANK_ANSWER, HIDDEN_FAILURE, STDERR_FAILURE, validate_report
from sabaq_grading.sandbox import Cell, Limits, sandbox_available
from sabaq_grading.sandbox.worker import check_environment

pytestmark = pytest.mark.skipif(sandbox_available() is not None, reason=f"no sandbox: {sandbox_available()}")


def nbgrader_files() -> Path:
    import nbgrader

    return Path(nbgrader.__file__).parent / "tests" / "apps" / "files"


# --- building notebooks ---------------------------------------------------------------------


def _meta(
    grade_id: str,
    *,
    grade: bool = False,
    solution: bool = False,
    locked: bool = False,
    points: float = 0.0,
    task: bool = False,
) -> dict[str, Any]:
    return {
        "nbgrader": {
            "grade": grade,
            "solution": solution,
            "locked": locked,
            "grade_id": grade_id,
            "points": points,
            "schema_version": 3,
            "task": task,
        }
    }


def answer(grade_id: str, solution: str, *, before: str = "", indent: str = "") -> NotebookNode:
    """A code answer cell; its solution region becomes ``raise NotImplementedError()``."""
    region = "\n".join(f"{indent}{line}" for line in ["### BEGIN SOLUTION", *solution.splitlines(), "### END SOLUTION"])
    return new_code_cell(before + region, metadata=_meta(grade_id, solution=True))


def check(grade_id: str, source: str, points: float = 1.0) -> NotebookNode:
    """An autograded test cell."""
    return new_code_cell(source, metadata=_meta(grade_id, grade=True, locked=True, points=points))


def written(grade_id: str, text: str, points: float) -> NotebookNode:
    """A manually graded markdown answer (grade and solution)."""
    return new_markdown_cell(text, metadata=_meta(grade_id, grade=True, solution=True, points=points))


def task(grade_id: str, text: str, points: float) -> NotebookNode:
    """A task cell: a description the tutor grades by hand."""
    return new_markdown_cell(text, metadata=_meta(grade_id, locked=True, points=points, task=True))


def notebook(*cells: NotebookNode) -> NotebookNode:
    kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return new_notebook(cells=list(cells), metadata={"kernelspec": kernelspec})


def submit(assignment: Assignment, answers: dict[str, str]) -> NotebookNode:
    """The assignment's student version with the cells named in ``answers`` given that source."""
    submission = copy.deepcopy(assignment.release)
    for cell in submission.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in answers:
            cell.source = answers[gid]
    return submission


# --- grading ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def grader() -> Iterator[Grader]:
    with Grader(GradingSettings(workers=1, limits=Limits(cell_timeout=3, total_timeout=20))) as grader:
        yield grader


def grade(grader: Grader, assignment: Assignment, submission: Any) -> dict[str, Any]:
    report = grader.grade(assignment, submission)
    validate_report(report)
    assert report["schema_minor"] == 2
    return report


def entries(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {test["grade_id"]: test for test in report["tests"]}


def earned(report: dict[str, Any]) -> dict[str, float]:
    return {test["grade_id"]: test["points"] for test in report["tests"]}


# --- 1. partial credit -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def partial() -> Assignment:
    return Assignment.from_notebook(
        notebook(
            answer("x", "x = 3"),
            check("half", "assert x == 3\n0.5"),
            check("quarters", "x / 4"),
            check("silenced", "0.5;"),
            check("text", "'well done'"),
            check("too-much", "5"),
            check("negative", "-1"),
            check("stderr", "import sys\nprint('something is off', file=sys.stderr)"),
            check("two", "x - 1.5", points=2),
        ),
        name="partial",
    )


def test_a_numeric_last_value_is_partial_credit(grader: Grader, partial: Assignment) -> None:
    report = grade(grader, partial, submit(partial, {"x": "x = 3"}))
    assert report["status"] == "graded"
    assert earned(report) == {
        "half": 0.5,
        "quarters": 0.75,
        "silenced": 1.0,  # a trailing semicolon hides the value: full points
        "text": 1.0,  # not a number: full points, as nbgrader
        "too-much": 0.0,  # nbgrader refuses credit above the maximum; we give nothing
        "negative": 1.0,  # nbgrader treats a negative value as full points
        "stderr": 0.0,
        "two": 1.5,
    }
    tests = entries(report)
    assert tests["half"]["message"] == "The test gave partial credit: 0.5 of 1 points."
    assert tests["two"]["message"] == "The test gave partial credit: 1.5 of 2 points."
    assert (tests["half"]["passed"], tests["silenced"]["passed"], tests["text"]["passed"]) == (False, True, True)
    assert not tests["too-much"]["passed"]
    assert tests["stderr"]["message"] == STDERR_FAILURE
    assert "something is off" in tests["stderr"]["output"]
    assert report["score"] == pytest.approx(0.5 + 0.75 + 1 + 1 + 0 + 1 + 0 + 1.5)
    assert report["max_score"] == 9.0


# --- 2. NBGRADER_EXECUTION -------------------------------------------------------------------


def test_tests_see_nbgrader_execution_autograde(grader: Grader) -> None:
    reads = "import os\nseen = os.environ.get('NBGRADER_EXECUTION')"
    assignment = Assignment.from_notebook(
        notebook(
            answer("seen", reads),
            check("env", 'import os\nassert os.environ.get("NBGRADER_EXECUTION") == "autograde"'),
            check("answer-saw-it", "assert seen == 'autograde'"),
        ),
        name="environment",
    )
    report = grade(grader, assignment, submit(assignment, {"seen": reads}))
    assert earned(report) == {"env": 1.0, "answer-saw-it": 1.0}, report["tests"]


# --- 3. the executor's environment -----------------------------------------------------------


@pytest.mark.parametrize("name", ["HOME", "TMPDIR", "PATH", "PYTHONPATH", "LD_PRELOAD"])
def test_variables_the_sandbox_owns_cannot_be_set(grader: Grader, name: str) -> None:
    with pytest.raises(ValueError, match="set by the sandbox"):
        grader.executor.run([Cell("c", "pass", "code")], environment={name: "x"})


@pytest.mark.parametrize(
    "environment",
    [{"": "x"}, {"1ST": "x"}, {"A-B": "x"}, {"A B": "x"}, {"ÄPFEL": "x"}, {"OK": "nul\0byte"}, {"OK": 1}],
)
def test_bad_environment_variables_are_refused(grader: Grader, environment: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="must be an identifier"):
        check_environment(environment)
    with pytest.raises(ValueError, match="must be an identifier"):
        grader.executor.run([Cell("c", "pass", "code")], environment=environment)


def test_added_variables_reach_the_code(grader: Grader) -> None:
    result = grader.executor.run(
        [Cell("c", "import os\nprint(os.environ['SABAQ_PROBE'], os.environ['HOME'] != 'x')", "code")],
        environment={"SABAQ_PROBE": "hello"},
    )
    text = "".join(output.get("text", "") for output in result.cells[0].outputs)
    assert text == "hello True\n"


# --- 4. manual and task points ---------------------------------------------------------------


@pytest.fixture(scope="module")
def mixed() -> Assignment:
    return Assignment.from_notebook(
        notebook(
            answer("double", "def double(x):\n    return 2 * x"),
            check("test-double", "assert double(2) == 4", points=2),
            written("explain", "Doubling adds a number to itself.", 3),
            task("plot", "Plot `double` over 0..10.", 1),
        ),
        name="mixed",
    )


def test_manual_and_task_points_count_in_the_maximum(mixed: Assignment) -> None:
    assert mixed.max_score == 6.0


def test_a_changed_written_answer_waits_for_a_tutor(grader: Grader, mixed: Assignment) -> None:
    submission = submit(mixed, {"double": "def double(x):\n    return x + x", "explain": "It is x + x."})
    report = grade(grader, mixed, submission)
    assert report["status"] == "graded"
    assert (report["score"], report["max_score"], report["needs_manual_grade"]) == (2.0, 6.0, True)
    manual = {entry["grade_id"]: entry for entry in report["manual"]}
    assert manual["explain"] == {"grade_id": "explain", "max_points": 3.0, "answered": True, "kind": "answer",
                                 "points": None, "needs_manual_grade": True, "source": "It is x + x."}
    assert manual["plot"]["kind"] == "task"
    assert manual["plot"]["needs_manual_grade"] is True


def test_a_written_answer_left_as_released_earns_zero_but_the_task_still_waits(
    grader: Grader, mixed: Assignment
) -> None:
    report = grade(grader, mixed, submit(mixed, {"double": "def double(x):\n    return x + x"}))
    manual = {entry["grade_id"]: entry for entry in report["manual"]}
    assert (manual["explain"]["points"], manual["explain"]["needs_manual_grade"]) == (0.0, False)
    assert manual["explain"]["answered"] is False
    assert (manual["plot"]["points"], manual["plot"]["needs_manual_grade"]) == (None, True)
    assert report["needs_manual_grade"] is True
    assert (report["score"], report["max_score"]) == (2.0, 6.0)


def test_a_notebook_graded_entirely_by_hand_grades(grader: Grader) -> None:
    assignment = Assignment.from_notebook(
        notebook(written("essay", "A fine essay.", 3), task("draw", "Draw a square.", 1)), name="by-hand"
    )
    assert assignment.max_score == 4.0
    report = grade(grader, assignment, submit(assignment, {"essay": "My essay."}))
    assert report["status"] == "graded", report["error"]
    assert (report["score"], report["max_score"], report["needs_manual_grade"]) == (0.0, 4.0, True)
    assert report["tests"] == []
    assert [entry["kind"] for entry in report["manual"]] == ["answer", "task"]


def _retyped(cell: NotebookNode, cell_type: str) -> NotebookNode:
    make = new_code_cell if cell_type == "code" else new_markdown_cell
    return make(cell.source, metadata=cell.metadata, id=cell.id)


def test_a_code_answer_turned_markdown_still_runs(grader: Grader, mixed: Assignment) -> None:
    """nbgrader's OverwriteCells turns the cell back into code and keeps the student's source."""
    submission = submit(mixed, {"double": "def double(x):\n    return x + x"})
    submission.cells[0] = _retyped(submission.cells[0], "markdown")
    report = grade(grader, mixed, submission)
    assert earned(report) == {"test-double": 2.0}, report["tests"]


def test_a_written_answer_turned_code_still_waits_for_a_tutor(grader: Grader, mixed: Assignment) -> None:
    """nbgrader turns it back into markdown and keeps the text: changed, so a tutor grades it."""
    submission = submit(mixed, {"double": "def double(x):\n    return x + x", "explain": "It is x + x."})
    submission.cells[2] = _retyped(submission.cells[2], "code")
    report = grade(grader, mixed, submission)
    assert report["status"] == "graded", report["error"]
    explain = next(entry for entry in report["manual"] if entry["grade_id"] == "explain")
    assert (explain["points"], explain["needs_manual_grade"]) == (None, True), report["manual"]


# --- 5. metadata schema versions -------------------------------------------------------------


@pytest.mark.parametrize("version", [0, 1, 2])
def test_old_metadata_is_upgraded_with_a_warning(grader: Grader, version: int) -> None:
    assignment = Assignment.from_notebook(nbgrader_files() / f"test-v{version}.ipynb", files={})
    assert any("nbgrader update" in warning for warning in assignment.warnings), assignment.warnings
    assert all(
        cell.metadata["nbgrader"]["schema_version"] == 3 for cell in assignment.instructor.cells
        if "nbgrader" in cell.metadata
    )
    report = grade(grader, assignment, assignment.instructor)
    assert report["status"] == "graded", report["error"]
    assert any("nbgrader update" in warning for warning in report["warnings"])
    # four autograded tests (3 points); the written equation (1) and the code answer graded
    # by hand (2) count in the maximum and wait for a tutor
    assert (report["max_score"], report["needs_manual_grade"]) == (6.0, True)
    assert earned(report) == {
        "correct_squares": 1.0, "squares_invalid_input": 1.0,
        "correct_sum_of_squares": 0.5, "sum_of_squares_uses_squares": 0.5,
    }


def test_an_old_submission_to_a_current_assignment_is_upgraded(grader: Grader) -> None:
    assignment = Assignment.from_notebook(nbgrader_files() / "test-v2.ipynb", files={})
    old = nbformat.read(nbgrader_files() / "test-v0.ipynb", as_version=4)
    report = grade(grader, assignment, old)
    assert report["status"] == "graded", report["error"]
    assert any("the submission" in warning and "nbgrader update" in warning for warning in report["warnings"])


def test_too_new_metadata_is_refused_as_an_assignment() -> None:
    with pytest.raises(UnsupportedMetadata, match="schema v10"):
        Assignment.from_notebook(nbgrader_files() / "too-new.ipynb", files={})


def test_too_new_metadata_is_refused_as_a_submission(grader: Grader, mixed: Assignment) -> None:
    report = grade(grader, mixed, (nbgrader_files() / "too-new.ipynb").read_bytes())
    assert report["status"] == "error"
    assert report["error"]["kind"] == "unsupported_metadata"
    assert "v10" in report["error"]["message"]
    assert report["max_score"] == mixed.max_score


def test_invalid_old_metadata_is_refused_with_what_nbgrader_says() -> None:
    with pytest.raises(UnsupportedMetadata, match="nbgrader cell does not have a grade_id") as raised:
        Assignment.from_notebook(nbgrader_files() / "test-v0-invalid.ipynb", files={})
    assert "nbgrader update" in str(raised.value)


# --- 6. invalid notebooks --------------------------------------------------------------------


@pytest.mark.parametrize("source", [7, [1, 2], 3.5, None])
def test_a_cell_source_that_is_not_text_is_an_invalid_notebook(
    grader: Grader, mixed: Assignment, source: Any
) -> None:
    submission = json.loads(nbformat.writes(submit(mixed, {"double": "def double(x):\n    return x + x"})))
    submission["cells"][2]["source"] = source
    for data in (submission, json.dumps(submission), json.dumps(submission).encode()):
        report = grade(grader, mixed, data)
        assert report["status"] == "error", report
        assert report["error"]["kind"] == "invalid_notebook"
        assert "cells[2].source" in report["error"]["message"]
        assert report["score"] == 0.0
        assert report["max_score"] == mixed.max_score


def test_cells_missing_outputs_or_metadata_are_repaired(grader: Grader, mixed: Assignment) -> None:
    submission = json.loads(nbformat.writes(submit(mixed, {"double": "def double(x):\n    return x + x"})))
    code_cells = [cell for cell in submission["cells"] if cell["cell_type"] == "code"]
    for cell in code_cells:
        del cell["outputs"]
        del cell["execution_count"]
    del code_cells[0]["metadata"]  # the answer: matched by cell id
    del submission["cells"][3]["metadata"]  # the task
    report = grade(grader, mixed, submission)
    assert report["status"] == "graded", report["error"]
    assert earned(report) == {"test-double": 2.0}


# --- 7. AUTOTEST -----------------------------------------------------------------------------


def autotest_notebook() -> NotebookNode:
    return notebook(answer("a", "a = 5"), check("test-a", "### AUTOTEST a", points=2))


def test_autotest_without_autotests_yml_says_where_it_looked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "assignment"
    folder.mkdir()
    path = folder / "auto.ipynb"
    nbformat.write(autotest_notebook(), path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    with pytest.raises(AutotestError, match=r"autotests\.yml") as raised:
        Assignment.from_notebook(path)
    assert str(folder) in str(raised.value)
    assert str(elsewhere) in str(raised.value)
    with pytest.raises(AutotestError, match=r"autotests\.yml"):
        Assignment.from_notebook(nbformat.writes(autotest_notebook()))


def _expanded(assignment: Assignment) -> str:
    (cell,) = [c for c in assignment.instructor.cells if c.metadata["nbgrader"]["grade_id"] == "test-a"]
    source: str = cell.source
    return source


def test_autotest_expands_with_autotests_yml_beside_the_notebook(
    grader: Grader, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "autotests.yml").write_bytes((nbgrader_files() / "autotests.yml").read_bytes())
    path = tmp_path / "auto.ipynb"
    nbformat.write(autotest_notebook(), path)
    monkeypatch.chdir(tmp_path)
    assignment = Assignment.from_notebook(path)
    source = _expanded(assignment)
    assert "AUTOTEST" not in source
    assert "assert" in source
    released = [c for c in assignment.release.cells if c.metadata["nbgrader"]["grade_id"] == "test-a"]
    assert "AUTOTEST" not in released[0].source
    right = grade(grader, assignment, submit(assignment, {"a": "a = 5"}))
    wrong = grade(grader, assignment, submit(assignment, {"a": "a = 6"}))
    assert earned(right) == {"test-a": 2.0}, right["tests"]
    assert earned(wrong) == {"test-a": 0.0}


def test_autotest_expands_with_autotests_yml_as_a_data_file(
    grader: Grader, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no autotests.yml here
    rules = (nbgrader_files() / "autotests.yml").read_bytes()
    instructor = json.loads(nbformat.writes(autotest_notebook()))
    assignment = Assignment.from_notebook(instructor, name="auto", files={"autotests.yml": rules})
    assert "AUTOTEST" not in _expanded(assignment)
    assert "assert" in _expanded(assignment)
    assert earned(grade(grader, assignment, submit(assignment, {"a": "a = 5"}))) == {"test-a": 2.0}
    assert earned(grade(grader, assignment, submit(assignment, {"a": "a = 'five'"}))) == {"test-a": 0.0}


def test_hidden_autotest_does_not_show_the_expected_value(
    grader: Grader, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    source = "### BEGIN HIDDEN TESTS\n### AUTOTEST a\n### END HIDDEN TESTS"
    instructor = notebook(answer("a", "a = 98765"), check("test-a", source, points=2))
    rules = {"autotests.yml": (nbgrader_files() / "autotests.yml").read_bytes()}
    assignment = Assignment.from_notebook(instructor, name="hidden-auto", files=rules)
    assert "98765" in _expanded(assignment)
    assert "98765" not in json.dumps(assignment.release)
    right = grade(grader, assignment, submit(assignment, {"a": "a = 98765"}))
    wrong = grade(grader, assignment, submit(assignment, {"a": "a = 4"}))
    assert earned(right) == {"test-a": 2.0}, right["tests"]
    assert (earned(wrong), wrong["tests"][0]["message"]) == ({"test-a": 0.0}, HIDDEN_FAILURE)
    assert "98765" not in json.dumps(wrong)


# --- 8. IgnorePattern ------------------------------------------------------------------------


def test_ignore_pattern_drops_matching_stderr(grader: Grader) -> None:
    assignment = Assignment.from_notebook(
        notebook(
            check("warns", "import sys\nprint('DeprecationWarning: x', file=sys.stderr)"),
            check("complains", "import sys\nprint('RuntimeError: y', file=sys.stderr)"),
        ),
        name="ignore",
    )
    ignoring = Grader(GradingSettings(ignore_pattern=r"DeprecationWarning"), executor=grader.executor)
    with_pattern = grade(ignoring, assignment, assignment.release)
    without = grade(grader, assignment, assignment.release)
    assert earned(with_pattern) == {"warns": 1.0, "complains": 0.0}, with_pattern["tests"]
    assert earned(without) == {"warns": 0.0, "complains": 0.0}
    assert entries(without)["warns"]["message"] == STDERR_FAILURE
    ignoring.close()  # the shared executor is not its to close
    assert grader.executor.run([Cell("c", "pass", "code")]).ended == "completed"


@pytest.mark.parametrize("pattern", ["(", "[a-", "*x"])
def test_an_invalid_ignore_pattern_is_refused(pattern: str) -> None:
    with pytest.raises(ValueError, match="not a regular expression"):
        GradingSettings(ignore_pattern=pattern)


# --- 9. feedback messages --------------------------------------------------------------------

SECRET = "hidden-constant-7f3a"
HIDDEN_TEST = (
    'assert f(2) == 4, "f(2) should be 4"\n'
    "### BEGIN HIDDEN TESTS\n"
    f'assert f(3) == 9, "{SECRET}"\n'
    "### END HIDDEN TESTS"
)


@pytest.fixture(scope="module")
def feedback() -> Assignment:
    return Assignment.from_notebook(
        notebook(
            answer("f", "return x * x", before="def f(x):\n", indent="    "),
            check("test-f", HIDDEN_TEST, points=2),
            check("test-visible", 'assert f(5) == 25, "f(5) should be 25"'),
        ),
        name="feedback",
    )


def test_a_blank_answer_says_it_is_blank(grader: Grader, feedback: Assignment) -> None:
    assert "raise NotImplementedError()" in feedback.release.cells[0].source
    report = grade(grader, feedback, feedback.release)
    assert [test["message"] for test in report["tests"]] == [BLANK_ANSWER, BLANK_ANSWER]
    assert SECRET not in json.dumps(report)


def test_a_blank_answer_cell_that_defines_nothing_says_it_is_blank(grader: Grader) -> None:
    """The answer cell itself raises NotImplementedError, so the test fails on a NameError."""
    instructor = notebook(answer("a", "a = 5"), check("test-a", "assert a == 5"))
    assignment = Assignment.from_notebook(instructor, name="blank")
    report = grade(grader, assignment, assignment.release)
    assert report["tests"][0]["message"] == BLANK_ANSWER


def test_a_failing_visible_check_shows_its_line_and_message(grader: Grader, feedback: Assignment) -> None:
    report = grade(grader, feedback, submit(feedback, {"f": "def f(x):\n    return x + 1"}))
    tests = entries(report)
    assert tests["test-f"]["message"] == (
        'This check failed: assert f(2) == 4, "f(2) should be 4"\nAssertionError: f(2) should be 4'
    )
    assert tests["test-visible"]["message"] == (
        'This check failed: assert f(5) == 25, "f(5) should be 25"\nAssertionError: f(5) should be 25'
    )
    assert SECRET not in json.dumps(report)


def test_a_failing_hidden_check_says_only_that(grader: Grader, feedback: Assignment) -> None:
    report = grade(grader, feedback, submit(feedback, {"f": "def f(x):\n    return {2: 4, 5: 25}.get(x, 0)"}))
    tests = entries(report)
    assert (tests["test-f"]["passed"], tests["test-f"]["message"]) == (False, HIDDEN_FAILURE)
    assert tests["test-visible"]["passed"]
    text = json.dumps(report)
    assert SECRET not in text
    assert "f(3)" not in text


LEAK = (
    "import sys\n"
    "def f(x):\n"
    "    consts = repr(sys._getframe(1).f_code.co_consts)\n"
    "    print(consts)\n"
    "    raise ValueError(consts)"
)
ECHO = "def f(x):\n    raise ValueError(f'argument {x!r} in {sorted(globals())}')"


def test_the_frame_probe_is_refused_while_a_test_runs(grader: Grader, feedback: Assignment) -> None:
    """Reading a test's constants off its frame (nbgrader allows it) is refused, and says so."""
    report = grade(grader, feedback, submit(feedback, {"f": LEAK}))
    visible = entries(report)["test-visible"]
    assert visible["message"] == ('This check failed: assert f(5) == 25, "f(5) should be 25"\n'
                                  "TamperBlocked: reaching a frame from this code is not allowed "
                                  "in a graded submission")
    hidden = entries(report)["test-f"]
    assert hidden["message"] == 'This check failed: assert f(2) == 4, "f(2) should be 4"\nan error'
    assert SECRET not in json.dumps(report)


def test_an_error_raised_from_a_visible_line_does_not_leak_hidden_values(
    grader: Grader, feedback: Assignment
) -> None:
    """What student code can still see (its arguments, its globals) stays out of hidden feedback."""
    report = grade(grader, feedback, submit(feedback, {"f": ECHO}))
    visible, hidden = entries(report)["test-visible"], entries(report)["test-f"]
    assert "argument 5" in visible["message"]  # the probe works where its error may be shown
    assert hidden["message"] == 'This check failed: assert f(2) == 4, "f(2) should be 4"\nValueError'
    assert "output" not in hidden
    assert "argument 2" not in json.dumps(report) and SECRET not in json.dumps(report)


# --- kernels ------------------------------------------------------------------------------------------


def _with_kernel(nb: NotebookNode, name: str | None, language: str = "") -> NotebookNode:
    nb = copy.deepcopy(nb)
    if name is None:
        nb.metadata.pop("kernelspec", None)
    else:
        nb.metadata["kernelspec"] = {"name": name, "display_name": name, **({"language": language} if language else {})}
    return nb


def test_an_assignment_for_another_language_is_refused() -> None:
    source = notebook(answer("a", "a = 5"), check("test-a", "assert a == 5"))
    with pytest.raises(NotebookError, match="kernel 'ir'"):
        Assignment.from_notebook(_with_kernel(source, "ir"))
    for name, language in (("python", ""), ("python3", ""), ("my-env", "python")):  # Python kernels pass
        Assignment.from_notebook(_with_kernel(source, name, language))


def test_the_assignments_kernel_wins_over_the_submissions(grader: Grader) -> None:
    source = notebook(answer("a", "a = 5"), check("test-a", "assert a == 5"))
    named = Assignment.from_notebook(_with_kernel(source, "python3"))
    submission = _with_kernel(submit(named, {"a": "a = 5"}), "blarg")
    assert grade(grader, named, submission)["score"] == 1.0  # nbgrader's OverwriteKernelspec
    unnamed = Assignment.from_notebook(_with_kernel(source, None))
    report = grade(grader, unnamed, _with_kernel(submit(unnamed, {"a": "a = 5"}), "blarg"))
    assert report["status"] == "error" and report["error"]["kind"] == "invalid_notebook"
    assert "'blarg'" in report["error"]["message"]


def test_an_empty_submission_is_the_wrong_notebook(grader: Grader) -> None:
    assignment = Assignment.from_notebook(notebook(answer("a", "a = 5"), check("test-a", "assert a == 5")))
    report = grade(grader, assignment, new_notebook())
    assert report["status"] == "error" and report["error"]["kind"] == "wrong_assignment"
    assert "empty notebook" in report["error"]["message"]
