"""``sabaq validate``: prove an assignment sound before students see it.

Static checks (nbgrader metadata, unique grade ids, points, solution and
hidden-test regions), then three gradings in the sandbox: the reference
solution must earn full marks, the student version must earn zero on
autograded tests, and each test must fail when every answer is replaced by a
trivial stand-in (functions returning ``None``; values that equal anything).
Lessons must execute without error.
"""

from __future__ import annotations

import ast
import copy
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nbformat import NotebookNode

from .errors import NotebookError
from .notebook import Role, grade_id, nbgrader_meta, points, read_notebook, role

_REGIONS = {
    "solution": (re.compile(r"BEGIN SOLUTION"), re.compile(r"END SOLUTION")),
    "hidden tests": (re.compile(r"BEGIN HIDDEN TESTS"), re.compile(r"END HIDDEN TESTS")),
}


@dataclass(frozen=True)
class Problem:
    notebook: str
    cell: str  # grade id, or "cell N"
    message: str
    hint: str

    def __str__(self) -> str:
        return f"{self.notebook} [{self.cell}]: {self.message} — fix: {self.hint}"


def _cell_name(cell: NotebookNode, index: int) -> str:
    return grade_id(cell) or f"cell {index + 1}"


def static_problems(notebook: NotebookNode, name: str) -> list[Problem]:
    """Metadata and structure checks that need no execution."""
    problems: list[Problem] = []

    def add(cell: str, message: str, hint: str) -> None:
        problems.append(Problem(name, cell, message, hint))

    try:
        from nbgrader.nbgraderformat import MetadataValidator

        MetadataValidator().validate_nb(copy.deepcopy(notebook))
    except Exception as error:
        add(
            "notebook", f"nbgrader metadata is invalid: {error}", "recreate the cell with the Create Assignment toolbar"
        )
    seen: dict[str, int] = {}
    for index, cell in enumerate(notebook.cells):
        cell_name, meta, cell_role = _cell_name(cell, index), nbgrader_meta(cell), role(cell)
        if meta and (meta.get("grade") or meta.get("solution") or meta.get("task")) and not grade_id(cell):
            add(cell_name, "a graded or solution cell has no grade_id", "give the cell a unique ID in the toolbar")
        if (gid := grade_id(cell)) is not None:
            if gid in seen:
                add(gid, f"grade id repeats cell {seen[gid] + 1}", "give every cell its own ID")
            seen[gid] = index
        if cell_role in (Role.TEST, Role.MANUAL, Role.TASK) and points(cell) <= 0:
            add(cell_name, "a graded cell is worth no points", "set points to a positive number")
        for region, (begin, end) in _REGIONS.items():
            starts, ends = len(begin.findall(cell.source)), len(end.findall(cell.source))
            if starts != ends:
                add(
                    cell_name,
                    f"{region} markers are unbalanced ({starts} BEGIN, {ends} END)",
                    f"close every BEGIN {region.upper()} with an END {region.upper()}",
                )
            if starts and region == "solution" and cell_role not in (Role.ANSWER, Role.MANUAL):
                add(cell_name, "a solution region is outside a solution cell", "mark the cell as an answer cell")
            if starts and region == "hidden tests" and cell_role is not Role.TEST:
                add(cell_name, "hidden tests are outside an autograded test cell", "mark the cell as a test cell")
        if cell_role is Role.ANSWER and cell.cell_type == "code" and "BEGIN SOLUTION" not in cell.source:
            add(
                cell_name,
                "an answer cell has no BEGIN/END SOLUTION region",
                "wrap the reference answer in ### BEGIN SOLUTION / ### END SOLUTION",
            )
    if not any(role(cell) is Role.TEST for cell in notebook.cells):
        add("notebook", "the assignment has no autograded test cell", "add a test cell with points")
    return problems


class _StandIn(ast.NodeTransformer):
    """Rewrites an answer: imports stay, functions and values become trivial."""

    def __init__(self, value: str) -> None:
        self.value = value

    def stand_in(self, source: str) -> str:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            return source
        lines = []
        for node in tree.body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                lines.append(ast.unparse(node))
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                lines.append(f"def {node.name}(*args, **kwargs):\n    return {self.value}")
            elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    for name in ast.walk(target):
                        if isinstance(name, ast.Name):
                            lines.append(f"{name.id} = {self.value}")
        return "\n".join(lines) or "pass"


ANYTHING = '''
class _SabaqAnything:
    """Stands in for any answer: equal to everything, never raising on comparison."""
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __lt__(self, other): return True
    __le__ = __gt__ = __ge__ = __lt__
    def __bool__(self): return True
    def __hash__(self): return 0
    def __call__(self, *args, **kwargs): return self
    def __getattr__(self, name): return self
    def __getitem__(self, key): return self
    def __len__(self): return 1
    def __iter__(self): return iter([self])
    def __float__(self): return 0.0
    def __int__(self): return 0
    def __abs__(self): return self
    def __sub__(self, other): return self
    __add__ = __radd__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = __pow__ = __sub__
'''

STAND_INS: dict[str, tuple[str, str]] = {
    "none": ("None", "a function returning None"),
    "anything": ("_SabaqAnything()", "an object that equals everything"),
}


def stand_in_notebook(instructor: NotebookNode, kind: str) -> NotebookNode:
    """The reference solution with every answer cell replaced by a trivial stand-in."""
    value, _ = STAND_INS[kind]
    transformer = _StandIn(value)
    notebook = copy.deepcopy(instructor)
    first = True
    for cell in notebook.cells:
        if role(cell) in (Role.ANSWER, Role.MANUAL) and cell.cell_type == "code":
            cell.source = (ANYTHING if first and kind == "anything" else "") + transformer.stand_in(cell.source)
            first = False
    return notebook


def assignment_problems(
    source: Path | Any,
    grade: Callable[[Any, Any], dict[str, Any]],
    *,
    name: str = "",
    files: Mapping[str, bytes] | None = None,
) -> list[Problem]:
    """All checks of one instructor notebook (a path, or notebook JSON with its data ``files``).

    ``grade(assignment, submission)`` grades in the sandbox.
    """
    from .engine import Assignment
    from .release import student_notebook

    name = name or str(source)
    try:
        notebook = read_notebook(source)
    except NotebookError as error:
        return [Problem(name, "notebook", str(error), "save the notebook again from Jupyter")]
    problems = static_problems(notebook, name)
    if problems:
        return problems
    try:
        assignment = Assignment.from_notebook(source, name=Path(name).stem, files=files)
    except NotebookError as error:
        return [Problem(name, "notebook", str(error), "check the solution and hidden-test regions")]

    reference = grade(assignment, notebook)
    if reference["status"] != "graded":
        return [
            Problem(
                name,
                "notebook",
                f"the reference solution could not be graded: {reference['error']['message']}",
                "run the notebook top to bottom in Jupyter and fix the error",
            )
        ]
    for test in reference["tests"]:
        if not test["passed"]:
            problems.append(
                Problem(
                    name,
                    test["grade_id"],
                    f"the reference solution fails this test ({test['message'] or 'no points'})",
                    "fix the solution or the test so the reference earns full marks",
                )
            )
    blank = grade(assignment, student_notebook(notebook))
    for test in blank.get("tests", []):
        if test["points"] > 0:
            problems.append(
                Problem(
                    name,
                    test["grade_id"],
                    "the blank student version earns points on this test",
                    "make the test check the answer (the stub raises NotImplementedError)",
                )
            )
    passing = {test["grade_id"] for test in reference["tests"] if test["passed"]}
    for kind, (_, description) in STAND_INS.items():
        weak = grade(assignment, stand_in_notebook(notebook, kind))
        for test in weak.get("tests", []):
            if test["passed"] and test["grade_id"] in passing:
                problems.append(
                    Problem(
                        name,
                        test["grade_id"],
                        f"weak test: it also passes when every answer is {description}",
                        "check types and values (e.g. isinstance, math.isclose) not just truthiness or ==",
                    )
                )
    return problems


def lesson_problems(path: Path, run: Callable[[NotebookNode, Path], Any]) -> list[Problem]:
    """A lesson must execute top to bottom without error."""
    name = str(path)
    try:
        notebook = read_notebook(path)
    except NotebookError as error:
        return [Problem(name, "notebook", str(error), "save the notebook again from Jupyter")]
    result = run(notebook, path.parent)
    problems = []
    for cell_result in result.cells:
        if cell_result.status in ("error", "timeout"):
            failure = cell_result.error or {}
            detail = f"{failure.get('ename', 'timeout')}: {failure.get('evalue', '')}".rstrip(": ")
            problems.append(
                Problem(
                    name,
                    cell_result.cell_id,
                    f"the lesson fails to execute ({detail})",
                    "run the lesson top to bottom in Jupyter and fix the cell",
                )
            )
    if result.ended != "completed" and not problems:
        problems.append(
            Problem(
                name,
                "notebook",
                f"the lesson did not finish: {result.message}",
                "make the lesson run within the sandbox limits",
            )
        )
    return problems


def is_assignment(notebook: NotebookNode) -> bool:
    """Whether a notebook is an nbgrader assignment (has graded or answer cells)."""
    return any(role(cell) not in (Role.PLAIN, Role.LOCKED) for cell in notebook.cells)


def validate_notebook(
    notebook: Any, *, grader: Any = None, files: Mapping[str, bytes] | None = None, name: str = "notebook"
) -> list[Problem]:
    """Check one uploaded notebook; an empty list means it is sound.

    Assignments get every check of ``sabaq validate`` (executed in the sandbox with
    ``grader``, a ``Grader``; a temporary one is started when none is given). Lessons get
    the notebook-level checks only: their data files are not part of an upload.
    """
    from .engine import Grader

    try:
        parsed = read_notebook(notebook)
    except NotebookError as error:
        return [Problem(name, "notebook", str(error), "save the notebook again from Jupyter")]
    if not is_assignment(parsed):
        return static_problems(parsed, name) if any(nbgrader_meta(c) for c in parsed.cells) else []
    own = grader is None
    active = Grader() if own else grader
    try:
        return assignment_problems(parsed, active.grade, name=name, files=files)
    finally:
        if own:
            active.close()
