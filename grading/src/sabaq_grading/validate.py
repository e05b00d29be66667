"""``sabaq validate``: prove an assignment sound before students see it.

First the checks that need no execution (``static_checks``: nbgrader metadata, grade ids,
points, marked regions; ``autotest_checks``: AUTOTEST lines), then gradings in the sandbox: the reference
solution must earn full marks, the blank student version must earn zero on autograded
tests, and no test may pass when every answer is replaced by a trivial stand-in
(``stand_ins``). Lessons must execute without error.

A problem is an error (the assignment is unsound) or a note (nbgrader accepts it, but it
is worth fixing: a test that only compares with ``==``, an older metadata schema, a
notebook graded entirely by hand).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from nbformat import NotebookNode

from .autotest_checks import autotest_cells, autotest_ids
from .errors import NotebookError
from .findings import Findings, Problem, Severity, cell_name
from .notebook import foreign_kernel, grade_id, read_notebook
from .stand_ins import STAND_INS, StandIn, has_code_answers, stand_in_notebook
from .static_checks import is_assignment, region_problems, static_problems

__all__ = [
    "Problem",
    "Severity",
    "assignment_problems",
    "is_assignment",
    "lesson_cells",
    "lesson_problems",
    "release_problems",
    "static_problems",
    "validate_notebook",
]

Grade = Callable[[Any, Any], dict[str, Any]]
AUTOTEST_FIXES = {
    "reference": "AUTOTEST expected values come from running the notebook when it is prepared: make the "
    "expressions deterministic (no randomness, time or input)",
    "blank": "AUTOTEST an expression of the answer (e.g. ### AUTOTEST squares(3)), not one the blank version "
    "computes too",
}


def _unreadable(name: str, error: NotebookError) -> Problem:
    return Problem(name, "notebook", str(error), "save the notebook again from Jupyter")


def _release_problem(notebook: NotebookNode, name: str, error: NotebookError) -> Problem:
    """nbgrader could not make the student version: name the cell whose regions it refused."""
    found = Findings(name)
    for index, cell in enumerate(notebook.cells):
        region_problems(cell, cell_name(cell, index), found)
    blamed = next((problem for problem in found.problems if problem.is_error), None)
    return blamed or Problem(
        name, "notebook", str(error), "fix what the message names, so nbgrader can make the student version"
    )


def release_problems(notebook: NotebookNode, name: str) -> list[Problem]:
    """The student version must be one nbgrader's preprocessors can make."""
    from .release import student_notebook

    try:
        student_notebook(notebook)
    except NotebookError as error:
        return [_release_problem(notebook, name, error)]
    return []


def _scored(report: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """A report's autograded tests that are worth points, by grade id."""
    return {
        str(test.get("grade_id")): test for test in report.get("tests") or [] if float(test.get("max_points") or 0) > 0
    }


def _graded_problems(assignment: Any, source: NotebookNode, grade: Grade, found: Findings) -> None:
    """Grade the reference, the blank student version and the stand-ins; ``source`` is as written."""
    autotests = autotest_ids(source)

    def label(gid: str) -> str:
        return f"AUTOTEST cell '{gid}': " if gid in autotests else ""

    def fix(gid: str, check: str, default: str) -> str:
        return AUTOTEST_FIXES[check] if gid in autotests else default

    reference = grade(assignment, assignment.instructor)
    if reference.get("status") != "graded":
        error = reference.get("error") or {}
        found.error(
            "notebook",
            f"the reference solution could not be graded: {error.get('message') or 'no reason given'}",
            "run the notebook top to bottom in Jupyter and fix the error",
        )
        return
    tests = _scored(reference)
    for gid, test in tests.items():
        if not test.get("passed"):
            found.error(
                gid,
                f"{label(gid)}the reference solution fails this test ({test.get('message') or 'no points'})",
                fix(gid, "reference", "fix the solution or the test so the reference earns full marks"),
            )
    if not tests:
        return
    blank = grade(assignment, assignment.release)
    free = {gid for gid, test in _scored(blank).items() if float(test.get("points") or 0) > 0}
    for gid in (gid for gid in tests if gid in free):
        found.error(
            gid,
            f"{label(gid)}the blank student version earns points on this test",
            fix(gid, "blank", "make the test check the answer (the stub raises NotImplementedError)"),
        )
    sources = {grade_id(cell): cell.source for cell in assignment.instructor.cells}
    passing = [gid for gid, test in tests.items() if test.get("passed")]
    for gid, stand_in in _weak_tests(assignment, grade, passing, free).items():
        found.add(
            stand_in.severity,
            gid,
            f"{label(gid)}weak test: it also passes when every answer is {stand_in.description}",
            stand_in.fix(sources.get(gid, "")),
        )


def _weak_tests(assignment: Any, grade: Grade, passing: list[str], free: set[str]) -> dict[str, StandIn]:
    """The first stand-in each test also passes for (tests the blank version passes are reported already)."""
    remaining = [gid for gid in passing if gid not in free]
    weak: dict[str, StandIn] = {}
    if not has_code_answers(assignment.instructor):
        return weak
    for stand_in in STAND_INS:
        if not remaining:
            break
        report = grade(assignment, stand_in_notebook(assignment.instructor, stand_in))
        fooled = {gid for gid, test in _scored(report).items() if test.get("passed")}
        weak.update((gid, stand_in) for gid in remaining if gid in fooled)
        remaining = [gid for gid in remaining if gid not in weak]
    return {gid: weak[gid] for gid in passing if gid in weak}


def _preparation_problem(notebook: NotebookNode, name: str, error: NotebookError) -> Problem:
    """The engine could not prepare the assignment: say where, as far as the error tells."""
    from .autotest import AutotestError

    if isinstance(error, AutotestError):
        cells = autotest_cells(notebook)
        return Problem(
            name,
            cells[0] if cells else "notebook",
            str(error),
            "run the notebook top to bottom, and keep AUTOTEST lines in autograded test cells",
        )
    return _release_problem(notebook, name, error)


def assignment_problems(
    source: Path | Any,
    grade: Grade,
    *,
    name: str = "",
    files: Mapping[str, bytes] | None = None,
    header: Path | None = None,
    footer: Path | None = None,
) -> list[Problem]:
    """All checks of one instructor notebook (a path, or notebook JSON with its data ``files``).

    ``grade(assignment, submission)`` grades in the sandbox. The assignment is prepared as
    the engine prepares it for grading (older metadata upgraded, AUTOTEST lines expanded,
    the course's ``header`` and ``footer`` cells around it, as its students get it).
    """
    from .engine import Assignment

    name = name or str(source)
    try:
        notebook = read_notebook(source)
    except NotebookError as error:
        return [_unreadable(name, error)]
    folder = source.parent if isinstance(source, Path) else None
    found = Findings(name, static_problems(notebook, name, folder=folder, files=files))
    if found.has_errors:
        return found.problems
    try:
        assignment = Assignment.from_notebook(
            source if isinstance(source, Path) else notebook,
            name=Path(name).stem,
            files=files,
            header=header,
            footer=footer,
        )
    except NotebookError as error:
        found.problems.append(_preparation_problem(notebook, name, error))
        return found.problems
    _graded_problems(assignment, notebook, grade, found)
    return found.problems


SKIP_TAG = "skip-execution"  # nbclient's: a cell tagged so is not executed
RAISES_TAG = "raises-exception"  # nbclient's: a cell tagged so may end in an error


def _tags(cell: NotebookNode) -> list[Any]:
    tags = cell.get("metadata", {}).get("tags")
    return tags if isinstance(tags, list) else []


def _lesson_id(index: int) -> str:
    """The id a lesson run's result carries for the notebook's cell at ``index``."""
    return f"cell {index + 1}"


def lesson_cells(notebook: NotebookNode) -> list[tuple[str, str]]:
    """The code cells a lesson run executes, as ``(cell id, source)``: every code cell but those
    tagged ``skip-execution``, as nbclient (``jupyter nbconvert --execute``) runs a lesson."""
    return [
        (_lesson_id(index), cell.source)
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and SKIP_TAG not in _tags(cell)
    ]


def lesson_problems(path: Path, run: Callable[[list[tuple[str, str]], Path], Any]) -> list[Problem]:
    """A lesson must execute top to bottom without error (and any nbgrader markup must be sound).

    ``run(cells, folder)`` executes :func:`lesson_cells` in the sandbox. As in nbclient, an
    error in a cell tagged ``raises-exception`` is expected; one that does not finish is not.
    """
    name = str(path)
    try:
        notebook = read_notebook(path)
    except NotebookError as error:
        return [_unreadable(name, error)]
    found = Findings(name, static_problems(notebook, name, folder=path.parent))
    kernel = foreign_kernel(notebook)
    if kernel is not None:
        found.error(
            "notebook",
            f"the lesson asks for the Jupyter kernel {kernel!r}; Sabaq runs Python lessons only",
            "save it with a Python 3 kernel",
        )
        return found.problems
    may_raise = {_lesson_id(index) for index, cell in enumerate(notebook.cells) if RAISES_TAG in _tags(cell)}
    result = run(lesson_cells(notebook), path.parent)
    failed = False
    for cell_result in result.cells:
        if cell_result.status == "timeout" or (cell_result.status == "error" and cell_result.cell_id not in may_raise):
            failure = cell_result.error or {}
            detail = f"{failure.get('ename', 'timeout')}: {failure.get('evalue', '')}".rstrip(": ")
            found.error(
                cell_result.cell_id,
                f"the lesson fails to execute ({detail})",
                "run the lesson top to bottom in Jupyter and fix the cell",
            )
            failed = True
    if result.ended != "completed" and not failed:
        found.error(
            "notebook", f"the lesson did not finish: {result.message}", "make the lesson run within the sandbox limits"
        )
    return found.problems


def validate_notebook(
    notebook: Any,
    *,
    grader: Any = None,
    files: Mapping[str, bytes] | None = None,
    name: str = "notebook",
    notes: bool = False,
) -> list[Problem]:
    """Check one uploaded notebook; an empty list means it can be used.

    Assignments get every check of ``sabaq validate`` (executed in the sandbox with
    ``grader``, a ``Grader``; a temporary one is started when none is given). Other
    notebooks get the checks that need no execution: their data files are not part of an
    upload. Only errors are returned unless ``notes`` is true, so a notebook nbgrader
    accepts is never refused for a note.
    """
    from .engine import Grader

    try:
        parsed = read_notebook(notebook)
    except NotebookError as error:
        return [_unreadable(name, error)]
    if is_assignment(parsed):
        own = grader is None
        active = Grader() if own else grader
        try:
            problems = assignment_problems(parsed, active.grade, name=name, files=files)
        finally:
            if own:
                active.close()
    else:
        problems = static_problems(parsed, name, files=files)
        if not any(problem.is_error for problem in problems):
            problems += release_problems(parsed, name)
    return problems if notes else [problem for problem in problems if problem.is_error]
