"""``sabaq validate``: prove an assignment sound before students see it.

First the checks that need no execution (``static_checks``: nbgrader metadata, grade ids,
points, marked regions, AUTOTEST lines), then gradings in the sandbox: the reference
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

from .errors import NotebookError
from .notebook import grade_id, read_notebook
from .stand_ins import STAND_INS, StandIn, has_code_answers, stand_in_notebook
from .static_checks import (
    Findings,
    Problem,
    Severity,
    autotest_ids,
    cell_name,
    is_assignment,
    region_problems,
    static_problems,
    upgrade_metadata,
)

__all__ = [
    "Problem",
    "Severity",
    "assignment_problems",
    "is_assignment",
    "lesson_problems",
    "release_problems",
    "static_problems",
    "validate_notebook",
]

Grade = Callable[[Any, Any], dict[str, Any]]
AUTOTEST_HINT = (
    "the grader runs the cell as written, where AUTOTEST lines are only comments: write the checks out "
    "as asserts (nbgrader generate_assignment prints the ones it would make into its release)"
)


def _unreadable(name: str, error: NotebookError) -> Problem:
    return Problem(name, "notebook", str(error), "save the notebook again from Jupyter")


def _release_problem(notebook: NotebookNode, name: str, error: NotebookError) -> Problem:
    """nbgrader could not make the student version: name the cell whose regions it refused."""
    found = Findings(name)
    for index, cell in enumerate(notebook.cells):
        region_problems(cell, cell_name(cell, index), found)
    blamed = next((problem for problem in found.problems if problem.is_error), None)
    return blamed or Problem(
        name, "notebook", str(error), "use a Python kernel and check the solution and hidden-test regions"
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


def _graded_problems(assignment: Any, notebook: NotebookNode, grade: Grade, found: Findings) -> None:
    from .release import student_notebook

    autotests = autotest_ids(notebook)

    def label(gid: str) -> str:
        return f"AUTOTEST cell '{gid}': " if gid in autotests else ""

    reference = grade(assignment, notebook)
    if reference.get("status") != "graded":
        error = reference.get("error") or {}
        if error.get("kind") == "unsupported_metadata":
            found.error(
                "notebook",
                f"the grader refuses the notebook's nbgrader metadata schema: {error.get('message', '')}",
                "save the notebook with nbgrader 0.9 (metadata schema v3)",
            )
        else:
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
                "fix the solution or the test so the reference earns full marks",
            )
    if not tests:
        return
    blank = grade(assignment, student_notebook(notebook))
    free = {gid for gid, test in _scored(blank).items() if float(test.get("points") or 0) > 0}
    for gid in (gid for gid in tests if gid in free):
        found.error(
            gid,
            f"{label(gid)}the blank student version earns points on this test",
            AUTOTEST_HINT
            if gid in autotests
            else "make the test check the answer (the stub raises NotImplementedError)",
        )
    sources = {grade_id(cell): cell.source for cell in notebook.cells}
    weak = _weak_tests(assignment, notebook, grade, [gid for gid, test in tests.items() if test.get("passed")], free)
    for gid, stand_in in weak.items():
        found.add(
            stand_in.severity,
            gid,
            f"{label(gid)}weak test: it also passes when every answer is {stand_in.description}",
            stand_in.fix(sources.get(gid, "")),
        )


def _weak_tests(
    assignment: Any, notebook: NotebookNode, grade: Grade, passing: list[str], free: set[str]
) -> dict[str, StandIn]:
    """The first stand-in each test also passes for (tests the blank version passes are reported already)."""
    remaining = [gid for gid in passing if gid not in free]
    weak: dict[str, StandIn] = {}
    if not has_code_answers(notebook):
        return weak
    for stand_in in STAND_INS:
        if not remaining:
            break
        report = grade(assignment, stand_in_notebook(notebook, stand_in))
        fooled = {gid for gid, test in _scored(report).items() if test.get("passed")}
        weak.update((gid, stand_in) for gid in remaining if gid in fooled)
        remaining = [gid for gid in remaining if gid not in weak]
    return {gid: weak[gid] for gid in passing if gid in weak}


def _autotest_folders(source: Any, course_root: Path | None) -> tuple[Path, ...]:
    """Where nbgrader looks for autotests.yml: the notebook's folder, then the course root it runs in."""
    if not isinstance(source, Path):
        return ()
    return (source.parent, course_root if course_root is not None else Path.cwd())


def assignment_problems(
    source: Path | Any,
    grade: Grade,
    *,
    name: str = "",
    files: Mapping[str, bytes] | None = None,
    course_root: Path | None = None,
) -> list[Problem]:
    """All checks of one instructor notebook (a path, or notebook JSON with its data ``files``).

    ``grade(assignment, submission)`` grades in the sandbox. Older nbgrader metadata is
    upgraded before grading, as ``nbgrader update`` would. ``course_root`` is where
    nbgrader runs, for finding ``autotests.yml`` (default: the current directory).
    """
    from .engine import Assignment, data_files

    name = name or str(source)
    try:
        notebook = read_notebook(source)
    except NotebookError as error:
        return [_unreadable(name, error)]
    found = Findings(name, static_problems(notebook, name, folders=_autotest_folders(source, course_root), files=files))
    if found.has_errors:
        return found.problems
    try:
        if files is None and isinstance(source, Path):
            files = data_files(source.parent)
    except NotebookError as error:
        found.error("notebook", str(error), "keep beside the notebook only the files its code reads")
        return found.problems
    upgraded = upgrade_metadata(notebook)
    try:
        assignment = Assignment.from_notebook(upgraded, name=Path(name).stem, files=files)
    except NotebookError as error:
        found.problems.append(_release_problem(upgraded, name, error))
        return found.problems
    _graded_problems(assignment, upgraded, grade, found)
    return found.problems


def lesson_problems(path: Path, run: Callable[[NotebookNode, Path], Any]) -> list[Problem]:
    """A lesson must execute top to bottom without error (and any nbgrader markup must be sound)."""
    name = str(path)
    try:
        notebook = read_notebook(path)
    except NotebookError as error:
        return [_unreadable(name, error)]
    found = Findings(name, static_problems(notebook, name, folders=(path.parent,)))
    result = run(notebook, path.parent)
    failed = False
    for cell_result in result.cells:
        if cell_result.status in ("error", "timeout"):
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
            problems += release_problems(upgrade_metadata(parsed), name)
    return problems if notes else [problem for problem in problems if problem.is_error]
