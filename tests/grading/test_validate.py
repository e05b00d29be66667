"""``sabaq validate`` and ``validate_notebook``: strict where nbgrader is, notes where it is not.

Errors make an assignment unsound; notes (a test only an object equal to everything passes,
an old metadata schema, a notebook graded entirely by hand) do not, unless ``--strict``.
Every problem names the notebook, the cell and a fix.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from sabaq_grading.engine import Grader
from sabaq_grading.sandbox import sandbox_available
from sabaq_grading.stand_ins import type_check_example
from sabaq_grading.validate import (
    Problem,
    assignment_problems,
    release_problems,
    static_problems,
    validate_notebook,
)

needs_sandbox = pytest.mark.skipif(sandbox_available() is not None, reason=f"no sandbox: {sandbox_available()}")

SABAQ = str(Path(sys.executable).parent / "sabaq")
LINE = re.compile(r"^(error|note): (?P<notebook>\S+\.ipynb) \[(?P<cell>[^\]]+)\]: (?P<message>.+) — fix: (?P<fix>.+)$")


def _user_guide() -> Path:
    import nbgrader

    return Path(nbgrader.__file__).parent / "docs" / "source" / "user_guide"


def sabaq_validate(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    return subprocess.run(
        [SABAQ, "validate", "--quiet", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=600
    )


def problem_lines(result: subprocess.CompletedProcess[str]) -> list[re.Match[str]]:
    """Every problem printed; fails if a problem line does not name notebook, cell and fix."""
    lines = [line for line in result.stdout.splitlines() if line.startswith(("error:", "note:"))]
    matches = [LINE.match(line) for line in lines]
    assert all(matches), "\n".join(line for line, match in zip(lines, matches, strict=True) if not match)
    return [match for match in matches if match]


def meta(
    gid: str | None,
    *,
    grade: bool = False,
    solution: bool = False,
    locked: bool = False,
    task: bool = False,
    points: float | None = None,
    version: object = 3,
) -> dict[str, Any]:
    nbgrader: dict[str, Any] = {"grade": grade, "solution": solution, "locked": locked, "schema_version": version}
    if task:
        nbgrader["task"] = True
    if gid is not None:
        nbgrader["grade_id"] = gid
    if points is not None:
        nbgrader["points"] = points
    return {"nbgrader": nbgrader}


def answer(gid: str, source: str) -> NotebookNode:
    return new_code_cell(source, metadata=meta(gid, solution=True))


def check(gid: str, source: str, points: float = 1) -> NotebookNode:
    """An autograded test cell."""
    return new_code_cell(source, metadata=meta(gid, grade=True, locked=True, points=points))


SQUARES = "def squares(n):\n    ### BEGIN SOLUTION\n    return [i * i for i in range(1, n + 1)]\n    ### END SOLUTION"


def notebook(*cells: NotebookNode, kernel: str = "python3", language: str = "python") -> NotebookNode:
    return new_notebook(
        cells=list(cells),
        metadata={"kernelspec": {"name": kernel, "language": language, "display_name": kernel}},
    )


def by_cell(problems: list[Problem]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for problem in problems:
        found.setdefault(problem.cell, []).append(f"{problem.severity}: {problem.message}")
    return found


@pytest.fixture(scope="module")
def grader() -> Iterator[Grader]:
    with Grader() as grader:
        yield grader


@pytest.fixture
def ps1(tmp_path: Path) -> Path:
    """A copy of nbgrader's documentation example problem set (problem1, problem2, their image)."""
    return Path(shutil.copytree(_user_guide() / "source" / "ps1", tmp_path / "ps1"))


# --- the whole command --------------------------------------------------------------------------


@needs_sandbox
def test_nbgraders_documentation_example_is_sound_with_notes(ps1: Path) -> None:
    result = sabaq_validate(str(ps1 / "problem1.ipynb"), str(ps1 / "problem2.ipynb"))
    assert result.returncode == 0, result.stdout + result.stderr
    problems = problem_lines(result)
    assert {m["cell"]: m[1] for m in problems} == {
        "correct_squares": "note",
        "correct_sum_of_squares": "note",
        "notebook": "note",
    }
    weak = {m["cell"]: m for m in problems if m["cell"] != "notebook"}
    assert (
        weak["correct_squares"]["message"]
        == "weak test: it also passes when every answer is an object that equals everything"
    )
    assert "isinstance" in weak["correct_squares"]["fix"]
    assert "assert isinstance(squares(1), list)" in weak["correct_squares"]["fix"]
    manual = next(m for m in problems if m["cell"] == "notebook")
    assert manual["notebook"].endswith("problem2.ipynb")
    assert manual["message"] == "nothing is autograded: all 3 points are graded by hand"
    assert result.stdout.splitlines()[-1].startswith("sabaq: sound (0 errors, 3 notes)")


@needs_sandbox
def test_strict_fails_on_notes(ps1: Path) -> None:
    result = sabaq_validate("--strict", str(ps1 / "problem2.ipynb"))
    assert result.returncode == 1
    assert len(problem_lines(result)) == 1
    assert result.stderr.splitlines()[-1] == "sabaq: error: 0 errors, 1 note: --strict counts notes as failures"


@needs_sandbox
def test_errors_fail_and_the_last_line_counts_errors_and_notes(tmp_path: Path) -> None:
    weak = tmp_path / "weak.ipynb"
    nbformat.write(
        notebook(
            answer("squares", SQUARES),
            check("test-runs", "squares(3)"),  # passes for a function returning None: an error
            check("test-equal", "assert squares(3) == [1, 4, 9]"),  # only the object equal to everything: a note
        ),
        weak,
    )
    result = sabaq_validate(str(weak))
    assert result.returncode == 1
    assert [(m[1], m["cell"], m["message"]) for m in problem_lines(result)] == [
        ("error", "test-runs", "weak test: it also passes when every answer is a function returning None"),
        ("note", "test-equal", "weak test: it also passes when every answer is an object that equals everything"),
    ]
    assert result.stderr.splitlines()[-1] == "sabaq: error: 1 error, 1 note: the course is not sound yet"


@needs_sandbox
def test_a_failing_lesson_names_its_cell(tmp_path: Path) -> None:
    lesson = tmp_path / "lesson.ipynb"
    nbformat.write(notebook(new_markdown_cell("# Dividing"), new_code_cell("x = 1 / 0")), lesson)
    result = sabaq_validate(str(lesson))
    assert result.returncode == 1
    [line] = problem_lines(result)
    assert (line["cell"], line["message"]) == (
        "cell 2",
        "the lesson fails to execute (ZeroDivisionError: division by zero)",
    )


@needs_sandbox
def test_a_lesson_runs_as_nbclient_runs_it_with_its_cell_tags(tmp_path: Path) -> None:
    """``raises-exception`` lets a cell end in an error and ``skip-execution`` leaves one out, as in
    nbclient (``jupyter nbconvert --execute``), which runs the same lesson here without error;
    an error in an untagged cell still fails it."""
    from nbclient import NotebookClient

    lesson = tmp_path / "lesson.ipynb"
    cells = [
        new_markdown_cell("# Errors, on purpose"),
        new_code_cell("x = 1\nraise ValueError('shown to the learner')", metadata={"tags": ["raises-exception"]}),
        new_code_cell("raise SystemExit('never run')", metadata={"tags": ["skip-execution"]}),
        new_code_cell("assert x == 1"),
    ]
    nbformat.write(notebook(*cells), lesson)
    NotebookClient(nbformat.read(lesson, as_version=4), kernel_name="python3", timeout=60).execute()
    result = sabaq_validate(str(lesson))
    assert result.returncode == 0, result.stdout + result.stderr
    cells[3].source = "assert x == 2"
    nbformat.write(notebook(*cells), lesson)
    [line] = problem_lines(sabaq_validate(str(lesson)))
    assert (line["cell"], line["message"]) == ("cell 4", "the lesson fails to execute (AssertionError)")


def test_a_lesson_for_another_language_is_refused_before_it_runs(tmp_path: Path) -> None:
    lesson = tmp_path / "julia.ipynb"
    nbformat.write(notebook(new_code_cell('println("hello")'), kernel="julia-1.10", language="julia"), lesson)
    result = sabaq_validate(str(lesson))
    assert result.returncode == 1
    [line] = problem_lines(result)
    assert (line["cell"], line["message"]) == (
        "notebook", "the lesson asks for the Jupyter kernel 'julia-1.10'; Sabaq runs Python lessons only"
    )


# --- notebooks graded by hand, uploads ------------------------------------------------------------


@needs_sandbox
def test_a_notebook_graded_entirely_by_hand_is_valid(grader: Grader, ps1: Path) -> None:
    problem2 = json.loads((ps1 / "problem2.ipynb").read_text())
    assert validate_notebook(problem2, grader=grader, name="problem2.ipynb") == []
    [note] = validate_notebook(problem2, grader=grader, name="problem2.ipynb", notes=True)
    assert (note.severity, note.cell) == ("note", "notebook")
    assert str(note).startswith("note: problem2.ipynb [notebook]: nothing is autograded")


def test_a_notebook_with_nothing_worth_points_gets_a_note() -> None:
    problems = static_problems(notebook(answer("squares", SQUARES)), "free.ipynb")
    assert by_cell(problems) == {"notebook": ["note: nothing is graded: no cell is worth points"]}


@needs_sandbox
def test_sound_assignment_with_its_data_has_no_problems(grader: Grader, squares_path: Path) -> None:
    instructor = json.loads(squares_path.read_text())
    files = {"numbers.csv": (squares_path.parent / "numbers.csv").read_bytes()}
    assert validate_notebook(instructor, grader=grader, files=files, notes=True) == []


@needs_sandbox
def test_missing_data_is_reported_on_the_test_it_breaks(grader: Grader, squares_path: Path) -> None:
    instructor = json.loads(squares_path.read_text())
    problems = validate_notebook(instructor, grader=grader, name="upload.ipynb")
    assert [(p.cell, p.message.split(" (")[0]) for p in problems] == [
        ("test-mean", "the reference solution fails this test")
    ]
    assert "NUMBERS" in problems[0].message


@needs_sandbox
def test_a_reference_that_cannot_be_graded_is_one_error(grader: Grader) -> None:
    meddling = new_code_cell(
        "import os\nos.write(3, b'\\xff\\xff\\xff\\xffgarbage')", metadata=meta("setup", locked=True)
    )
    instructor = notebook(meddling, answer("squares", SQUARES), check("t", "assert squares(1) == [1]"))
    [problem] = validate_notebook(instructor, grader=grader, name="meddling.ipynb")
    assert (problem.cell, problem.severity) == ("notebook", "error")
    assert problem.message.startswith("the reference solution could not be graded: the submission interfered")


def test_unreadable_upload_is_one_problem() -> None:
    problems = validate_notebook(b"not a notebook", name="upload.ipynb")
    assert [(p.notebook, p.cell) for p in problems] == [("upload.ipynb", "notebook")]
    assert "not valid JSON" in problems[0].message


def test_plain_lesson_needs_no_execution(squares_path: Path) -> None:
    lesson = json.loads((squares_path.parents[2] / "lessons" / "functions.ipynb").read_text())
    assert validate_notebook(lesson, notes=True) == []


# --- marked regions ---------------------------------------------------------------------------------


def test_a_solution_region_outside_a_solution_cell_names_the_cell() -> None:
    setup = new_code_cell("### BEGIN SOLUTION\nx = 1\n### END SOLUTION", metadata=meta("setup", locked=True))
    problems = static_problems(
        notebook(setup, answer("squares", SQUARES), check("t", "assert squares(1) == [1]")), "a.ipynb"
    )
    assert [str(p) for p in problems] == [
        "error: a.ipynb [setup]: a solution region is outside a solution cell — fix: mark the cell as an answer "
        "cell (autograded or manually graded), or remove the markers"
    ]


def test_an_upload_without_nbgrader_metadata_but_with_a_solution_region_names_the_cell() -> None:
    # nbgrader refuses to make its student version; the Studio check used to pass it.
    upload = notebook(new_markdown_cell("# Lesson"), new_code_cell("### BEGIN SOLUTION\nx = 1\n### END SOLUTION"))
    problems = validate_notebook(upload, name="lesson.ipynb")
    assert [(p.cell, p.message) for p in problems] == [("cell 2", "a solution region is outside a solution cell")]


def test_release_problems_name_the_cell_nbgrader_refused() -> None:
    refused = notebook(new_code_cell("x = 1"), new_code_cell("### BEGIN SOLUTION\nx = 2\n### END SOLUTION"))
    assert [(p.cell, p.message) for p in release_problems(refused, "n.ipynb")] == [
        ("cell 2", "a solution region is outside a solution cell")
    ]
    julia = notebook(answer("f", "f(x) = x"), kernel="julia-1.10", language="julia")
    [problem] = release_problems(julia, "j.ipynb")
    assert problem.cell == "notebook"
    assert problem.message.startswith("cannot make the student version: language 'julia'")
    assert release_problems(notebook(answer("squares", SQUARES)), "n.ipynb") == []


def test_region_markers_are_checked_line_by_line_as_nbgrader_reads_them() -> None:
    cells = [
        answer("nested", "### BEGIN SOLUTION\n### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n### END SOLUTION"),
        answer("open", "### BEGIN SOLUTION\nx = 1"),
        answer("stray", "### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n### END SOLUTION"),
        new_code_cell("### BEGIN HIDDEN TESTS\nassert True\n### END HIDDEN TESTS", metadata=meta("plain")),
        new_markdown_cell("BEGIN MARK SCHEME\nfull marks\nEND MARK SCHEME", metadata=meta("m", locked=True)),
        check("t", "assert x == 1"),
    ]
    assert by_cell(static_problems(notebook(*cells), "r.ipynb")) == {
        "nested": ["error: solution regions are nested (a second BEGIN SOLUTION before END SOLUTION)"],
        "open": ["error: solution markers are unbalanced (1 BEGIN, 0 END)"],
        "stray": ["note: solution markers are unbalanced (1 BEGIN, 2 END): nbgrader drops the stray END SOLUTION line"],
        "plain": ["error: hidden tests are outside an autograded test cell"],
        "m": ["error: a mark scheme region is outside a task cell"],
    }


# --- cells and points ------------------------------------------------------------------------------


def test_a_tutors_rubric_is_checked_where_tutors_would_meet_it() -> None:
    def written(gid: str, rubric: object, points: float = 3) -> NotebookNode:
        cell = new_markdown_cell("### BEGIN SOLUTION\nBecause.\n### END SOLUTION",
                                 metadata=meta(gid, grade=True, solution=True, points=points))
        cell.metadata["sabaq"] = {"rubric": rubric}
        return cell

    good = [{"points": 2, "description": "names the cause"}, {"points": 1, "description": "cites the data"}]
    tested = check("t", "assert True")
    tested.metadata["sabaq"] = {"rubric": good}
    cells = [
        written("fine", good),
        written("over", good, points=2),
        written("broken", [{"points": "2", "description": "x"}, {"points": 1, "description": " "}, 5]),
        written("shape", {"points": 1}),
        tested,
    ]
    assert by_cell(static_problems(notebook(*cells), "w.ipynb")) == {
        "over": ["note: the rubric's items add up to 3 points, more than the cell's 2"],
        "broken": [f"note: rubric item {n} has no points or no description, so tutors will not see it"
                   for n in (1, 2, 3)],
        "shape": ["note: the rubric is not a list of items"],
        "t": ["note: a rubric on a cell no tutor grades is never shown"],
    }


def test_cell_problems_are_named_by_grade_id_or_position() -> None:
    cells = [
        answer("squares", SQUARES),
        check("free", "assert squares(1) == [1]", points=0),
        check("squares", "assert squares(2) == [1, 4]"),
        new_markdown_cell("Describe it.", metadata=meta(None, task=True, points=1)),
        answer("whole", "def f():\n    return 1"),
    ]
    assert by_cell(static_problems(notebook(*cells), "c.ipynb")) == {
        "free": ["note: a graded cell is worth no points, so it counts for nothing"],
        "squares": ["error: grade id repeats cell 1"],
        "cell 4": ["error: a graded or solution cell has no grade_id"],
        "whole": [
            "note: an answer cell has no BEGIN/END SOLUTION region: the student version replaces the whole cell "
            "with the stub"
        ],
    }


# --- nbgrader metadata schema ----------------------------------------------------------------------


def test_older_metadata_schemas_are_upgraded_with_a_note() -> None:
    cells = [
        new_code_cell(SQUARES, metadata=meta("squares", solution=True, version=1)),
        new_code_cell("assert squares(1) == [1]", metadata=meta("t1", grade=True, points=1, version=1)),
        new_code_cell("assert squares(2) == [1, 4]", metadata=meta("t2", grade=True, points=1, version=1)),
        new_code_cell("assert squares(3) == [1, 4, 9]", metadata=meta("t3", grade=True, points=1, version=2)),
    ]
    problems = static_problems(notebook(*cells), "old.ipynb")
    assert [str(p) for p in problems] == [
        "note: old.ipynb [squares]: uses nbgrader metadata schema v1, as do t1, t2; upgraded as `nbgrader update` "
        "would — fix: run `nbgrader update` to save it",
        "note: old.ipynb [t3]: uses nbgrader metadata schema v2; upgraded as `nbgrader update` would — fix: run "
        "`nbgrader update` to save it",
    ]


@needs_sandbox
def test_an_old_schema_assignment_is_graded_after_the_upgrade(grader: Grader) -> None:
    cells = [
        new_code_cell(SQUARES, metadata=meta("squares", solution=True, version=0)),
        new_code_cell(
            "assert squares(1) == [1]\nassert isinstance(squares(1), list)",
            metadata=meta("t", grade=True, points=2, version=0),
        ),
    ]
    problems = validate_notebook(notebook(*cells), grader=grader, name="v0.ipynb", notes=True)
    assert [(p.severity, p.cell, p.message.split(";")[0]) for p in problems] == [
        ("note", "squares", "uses nbgrader metadata schema v0, as do t")
    ]


def test_a_newer_schema_is_an_error() -> None:
    cells = [new_code_cell(SQUARES, metadata=meta("squares", solution=True, version=4)), check("t", "assert True")]
    [problem] = static_problems(notebook(*cells), "new.ipynb")
    assert (problem.severity, problem.cell) == ("error", "squares")
    assert problem.message.startswith("written by a newer nbgrader: it uses nbgrader metadata schema v4")


def test_metadata_nbgrader_refuses_is_an_error_naming_the_cell() -> None:
    cells = [
        answer("squares", SQUARES),
        new_code_cell("assert True", metadata=meta("has space", grade=True, locked=True, points=1)),
        new_code_cell("assert False", metadata=meta("no-points", grade=True, locked=True)),
        new_code_cell("x = 1", metadata=meta("bad-version", version="3")),
        new_code_cell("y = 1", metadata=meta("bad-points", grade=True, points="many", version=0)),
        new_markdown_cell("Not graded", metadata=meta("md", grade=True, points=1)),
    ]
    assert by_cell(static_problems(notebook(*cells), "m.ipynb")) == {
        "has space": [
            "error: nbgrader metadata does not follow schema v3: grade_id: 'has space' does not match "
            "'^[a-zA-Z0-9_\\\\-]*$'"
        ],
        "no-points": [
            "error: nbgrader metadata does not follow schema v3: nbgrader cell 'no-points' does not have points"
        ],
        "bad-version": ["error: nbgrader metadata schema version '3' is not a whole number"],
        "bad-points": [
            "error: nbgrader metadata schema v0 cannot be upgraded (could not convert string to float: 'many')"
        ],
        "md": [
            "error: nbgrader metadata does not follow schema v3: Markdown grade cell 'md' is not marked as a "
            "solution cell"
        ],
    }


def test_nbgrader_messages_drop_the_cell_source_they_quote() -> None:
    lost = new_code_cell(
        "x = 1\ny = 2", metadata={"nbgrader": {"grade": False, "solution": True, "locked": False, "schema_version": 3}}
    )
    [problem] = static_problems(notebook(lost, check("t", "assert True")), "s.ipynb")
    assert (problem.cell, problem.message) == (
        "cell 1",
        "nbgrader metadata does not follow schema v3: nbgrader cell does not have a grade_id",
    )


# --- AUTOTEST ------------------------------------------------------------------------------------------


def test_autotest_outside_a_test_cell_is_an_error(tmp_path: Path) -> None:
    shutil.copy(_user_guide() / "autotests.yml", tmp_path)
    cells = [answer("squares", SQUARES + "\n### AUTOTEST squares(3)"), check("t", "### AUTOTEST squares(2)")]
    assert by_cell(static_problems(notebook(*cells), "a.ipynb", folder=tmp_path)) == {
        "squares": ["error: an AUTOTEST line is outside an autograded test cell (nbgrader refuses it)"]
    }


def test_autotest_without_autotests_yml_says_where_it_looked(tmp_path: Path) -> None:
    folder = tmp_path / "course" / "source" / "ps1"
    folder.mkdir(parents=True)
    [problem] = static_problems(
        notebook(answer("squares", SQUARES), check("t", "### AUTOTEST squares(2)")), "a.ipynb", folder=folder
    )
    assert (problem.severity, problem.cell) == ("error", "t")
    assert problem.message.startswith(
        f"AUTOTEST lines need autotests.yml, and there is none (looked in {folder}, {tmp_path / 'course'}"
    )


def test_autotest_templates_must_serve_the_kernel(tmp_path: Path) -> None:
    cells = [answer("squares", SQUARES), check("t", "### HASHED AUTOTEST squares(2)")]
    (tmp_path / "autotests.yml").write_text("python3:\n  templates: {}\n  dispatch: type({{snippet}})\n  check: x\n")
    assert by_cell(static_problems(notebook(*cells), "a.ipynb", folder=tmp_path)) == {
        "t": [
            f"error: AUTOTEST templates in {tmp_path / 'autotests.yml'} have no templates, normalize, hash for the "
            "kernel 'python3'"
        ]
    }
    upload = {"autotests.yml": b"python3: [unclosed"}
    [problem] = static_problems(notebook(*cells), "a.ipynb", files=upload)
    assert problem.message.startswith("AUTOTEST templates in the data file autotests.yml are not valid YAML")
    [problem] = static_problems(notebook(*cells, kernel="bash"), "a.ipynb", files=upload)
    assert problem.message == "AUTOTEST: nbgrader cannot expand AUTOTEST lines for the kernel 'bash'"


@needs_sandbox
def test_a_failing_autotest_cell_is_named_as_such(grader: Grader, tmp_path: Path) -> None:
    shutil.copy(_user_guide() / "autotests.yml", tmp_path)
    target = tmp_path / "auto.ipynb"
    nbformat.write(
        notebook(
            answer("squares", SQUARES),
            check("test-auto", "### AUTOTEST squares(3)\n### HASHED AUTOTEST squares(4)", points=2),
            check("test-constant", "### AUTOTEST 1 + 1"),
        ),
        target,
    )
    problems = assignment_problems(target, grader.grade)
    assert [(p.severity, p.cell, p.message) for p in problems] == [
        ("error", "test-constant", "AUTOTEST cell 'test-constant': the blank student version earns points on this test")
    ]
    assert "AUTOTEST an expression of the answer" in problems[0].hint


@needs_sandbox
def test_an_autotest_of_a_random_value_fails_the_reference_and_says_why(grader: Grader, tmp_path: Path) -> None:
    shutil.copy(_user_guide() / "autotests.yml", tmp_path)
    target = tmp_path / "random.ipynb"
    imports = new_code_cell("import random", metadata=meta("imports", locked=True))
    # a 64-bit value: nbgrader's float template rounds to 2 places, so random.random() would
    # agree with itself one run in a hundred (and the blank version would then earn points)
    nbformat.write(notebook(imports, answer("squares", SQUARES), check("t", "### AUTOTEST random.getrandbits(64)")),
                   target)
    [problem] = assignment_problems(target, grader.grade)
    assert (problem.severity, problem.cell) == ("error", "t")
    assert problem.message.startswith("AUTOTEST cell 't': the reference solution fails this test")
    assert "make the expressions deterministic" in problem.hint


@needs_sandbox
def test_autotest_templates_nbgrader_cannot_use_name_the_first_autotest_cell(grader: Grader, tmp_path: Path) -> None:
    (tmp_path / "autotests.yml").write_text(
        "python3:\n  dispatch: type({{snippet}})\n  normalize: str({{snippet}})\n  check: assert {{snippet}}\n"
        "  templates:\n    int:\n      - test: '{{snippet}}'\n        fail: wrong\n"  # no "default" for a list
    )
    target = tmp_path / "auto.ipynb"
    nbformat.write(notebook(answer("squares", SQUARES), check("test-list", "### AUTOTEST squares(3)")), target)
    [problem] = assignment_problems(target, grader.grade)
    assert (problem.severity, problem.cell) == ("error", "test-list")
    assert "nbgrader could not expand its AUTOTEST lines" in problem.message


@needs_sandbox
def test_autotest_lines_nbgrader_cannot_expand_name_the_cell(grader: Grader, tmp_path: Path) -> None:
    shutil.copy(_user_guide() / "autotests.yml", tmp_path)
    target = tmp_path / "auto.ipynb"
    nbformat.write(notebook(answer("squares", SQUARES), check("test-typo", "### AUTOTEST squarez(3)")), target)
    [problem] = assignment_problems(target, grader.grade)
    assert (problem.severity, problem.cell) == ("error", "test-typo")
    assert "nbgrader could not expand its AUTOTEST lines" in problem.message


# --- stand-ins -------------------------------------------------------------------------------------------


def test_type_check_examples_come_from_the_test() -> None:
    assert type_check_example("assert squares(2) == [1, 4]") == "assert isinstance(squares(2), list)"
    assert type_check_example("assert 385 == total(10)") == "assert isinstance(total(10), (int, float))"
    assert type_check_example("assert name() == 'x'") == "assert isinstance(name(), str)"
    assert type_check_example("assert flag() == True") == "assert isinstance(flag(), bool)"
    assert type_check_example("assert f() is not None") is None
    assert type_check_example("assert (") is None


def test_a_problem_is_always_one_line() -> None:
    problem = Problem("n.ipynb", "t", "the reference solution fails this test (assert x\nAssertionError)", "fix\nit")
    assert (
        str(problem)
        == "error: n.ipynb [t]: the reference solution fails this test (assert x AssertionError) — fix: fix it"
    )
    assert LINE.match(str(problem))
