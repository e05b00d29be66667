"""The checks of ``sabaq validate`` that need no execution, following nbgrader's own rules.

Cell metadata goes through nbgrader's validator (``nbgrader.nbgraderformat``): an older
schema is upgraded as ``nbgrader update`` would (a note), a newer one is refused. Solution,
hidden-test and mark-scheme regions are scanned line by line as nbgrader's preprocessors
scan them, and ``### AUTOTEST`` lines are checked where ``nbgrader generate_assignment``
would refuse them (``autotest_checks``). An error makes an assignment unsound; a note does not.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeGuard

from nbformat import NotebookNode

from .autotest_checks import autotest_problems
from .findings import Findings, Problem, cell_name
from .notebook import Role, grade_id, points, role


def is_assignment(notebook: NotebookNode) -> bool:
    """Whether a notebook is an nbgrader assignment (has graded or answer cells)."""
    return any(role(cell) not in (Role.PLAIN, Role.LOCKED) for cell in notebook.cells)


def _also(names: Sequence[str]) -> str:
    """The ", as do cell 4, cell 7 and 2 more" that follows the first cell named."""
    rest = list(names[1:])
    if not rest:
        return ""
    shown = ", ".join(rest[:3])
    return f", as do {shown}" + (f" and {len(rest) - 3} more" if len(rest) > 3 else "")


# --- nbgrader metadata --------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _validator() -> Any:
    from nbgrader.nbgraderformat import MetadataValidator

    return MetadataValidator()


def _version(cell: NotebookNode) -> object:
    return cell.metadata["nbgrader"].get("schema_version", 0)


def _is_version(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _upgraded_copy(notebook: NotebookNode) -> NotebookNode:
    """A copy of ``notebook`` whose older nbgrader cell metadata is upgraded as ``nbgrader update`` does.

    Unlike the engine's upgrade (``metadata_schema``), cell by cell: cells with a newer or
    unreadable schema are left alone, so the other cells can still be checked.
    """
    validator = _validator()
    upgraded = copy.deepcopy(notebook)
    for index, cell in enumerate(upgraded.cells):
        if "nbgrader" in cell.metadata:
            version = _version(cell)
            if _is_version(version) and version < validator.schema_version:
                try:
                    validator.upgrade_cell_metadata(cell)
                except Exception:  # reported by static_problems; the cell stays as written
                    upgraded.cells[index] = copy.deepcopy(notebook.cells[index])
    return upgraded


def _reason(error: Exception, cell: NotebookNode) -> str:
    """nbgrader's message, without the cell source it appends to some."""
    path = ".".join(str(part) for part in getattr(error, "path", ()) or ())
    text = str(getattr(error, "message", "") or error)
    source = cell.source.strip()
    if source and text.endswith(source):
        text = text[: -len(source)].rstrip(": \n")
    return f"{path}: {text}" if path else text


def _metadata(notebook: NotebookNode, found: Findings) -> set[int]:
    """Check every cell's nbgrader metadata; the indices of cells whose metadata is unusable."""
    validator = _validator()
    current: int = validator.schema_version
    older: dict[int, list[str]] = {}
    newer: dict[int, list[str]] = {}
    unusable: set[int] = set()
    for index, original in enumerate(notebook.cells):
        if "nbgrader" not in original.metadata:
            continue
        cell, name = copy.deepcopy(original), cell_name(original, index)
        version = _version(cell)
        if not _is_version(version):
            found.error(
                name,
                f"nbgrader metadata schema version {version!r} is not a whole number",
                "recreate the cell with nbgrader's Create Assignment toolbar",
            )
            unusable.add(index)
            continue
        number = version
        if number > current:
            newer.setdefault(number, []).append(name)
            unusable.add(index)
            continue
        if number < current:
            try:
                validator.upgrade_cell_metadata(cell)
            except Exception as error:  # nbgrader's upgrade converts points with float()
                found.error(
                    name,
                    f"nbgrader metadata schema v{number} cannot be upgraded ({error})",
                    "fix the cell's points, or recreate the cell with nbgrader's Create Assignment toolbar",
                )
                unusable.add(index)
                continue
            older.setdefault(number, []).append(name)
        try:
            validator.validate_cell(cell)
        except Exception as error:  # jsonschema's ValidationError, or nbgrader's own checks
            found.error(
                name,
                f"nbgrader metadata does not follow schema v{current}: {_reason(error, cell)}",
                "fix the cell in nbgrader's Create Assignment toolbar (grade id, points, cell kind)",
            )
            unusable.add(index)
    for number, names in sorted(newer.items()):
        found.error(
            names[0],
            f"written by a newer nbgrader: it uses nbgrader metadata schema v{number}{_also(names)}, "
            f"and nbgrader 0.9 reads v{current}",
            f"save the notebook with nbgrader 0.9 (schema v{current}), as Sabaq grades like nbgrader 0.9",
        )
    for number, names in sorted(older.items()):
        found.note(
            names[0],
            f"uses nbgrader metadata schema v{number}{_also(names)}; upgraded as `nbgrader update` would",
            "run `nbgrader update` to save it",
        )
    return unusable


# --- solution, hidden-test and mark-scheme regions ---------------------------------------------


@dataclass(frozen=True)
class _Region:
    name: str
    begin: str
    end: str
    allowed: Callable[[NotebookNode], bool]  # nbgrader's predicate for cells that may hold the region
    outside: str
    fix: str


@lru_cache(maxsize=1)
def _regions() -> tuple[_Region, ...]:
    from nbgrader import utils
    from nbgrader.preprocessors import ClearHiddenTests, ClearMarkScheme, ClearSolutions

    solutions, hidden, scheme = ClearSolutions(), ClearHiddenTests(), ClearMarkScheme()
    return (
        _Region(
            "solution",
            solutions.begin_solution_delimeter,
            solutions.end_solution_delimeter,
            utils.is_solution,
            "a solution region is outside a solution cell",
            "mark the cell as an answer cell (autograded or manually graded), or remove the markers",
        ),
        _Region(
            "hidden tests",
            hidden.begin_test_delimeter,
            hidden.end_test_delimeter,
            utils.is_grade,
            "hidden tests are outside an autograded test cell",
            "mark the cell as an autograded test cell",
        ),
        _Region(
            "mark scheme",
            scheme.begin_mark_scheme_delimeter,
            scheme.end_mark_scheme_delimeter,
            utils.is_task,
            "a mark scheme region is outside a task cell",
            "mark the cell as a manually graded task",
        ),
    )


def _scan(source: str, begin: str, end: str) -> tuple[int, int, int, bool, bool]:
    """(BEGIN lines, END lines, stray END lines, nested, unclosed), read as nbgrader reads them."""
    starts = ends = stray = 0
    inside = nested = False
    for line in source.split("\n"):
        if begin in line:
            starts += 1
            nested = nested or inside
            inside = True
        elif end in line:
            ends += 1
            stray += 0 if inside else 1
            inside = False
    return starts, ends, stray, nested, inside


def region_problems(cell: NotebookNode, name: str, found: Findings) -> None:
    """Problems with the marked regions of one cell (those nbgrader refuses are errors)."""
    for region in _regions():
        starts, ends, stray, nested, unclosed = _scan(cell.source, region.begin, region.end)
        if nested:
            found.error(
                name,
                f"{region.name} regions are nested (a second {region.begin} before {region.end})",
                f"close each region with {region.end} before the next {region.begin}",
            )
        elif unclosed:
            found.error(
                name,
                f"{region.name} markers are unbalanced ({starts} BEGIN, {ends} END)",
                f"close every {region.begin} with an {region.end}",
            )
        elif stray:
            found.note(
                name,
                f"{region.name} markers are unbalanced ({starts} BEGIN, {ends} END): nbgrader drops the "
                f"stray {region.end} line",
                f"remove the {region.end} line that closes nothing",
            )
        if starts and not region.allowed(cell):
            found.error(name, region.outside, region.fix)


# --- the whole notebook ---------------------------------------------------------------------------


def rubric_problems(cell: NotebookNode, name: str, found: Findings) -> None:
    """A tutor's rubric (``metadata.sabaq.rubric``: ``[{"points": number, "description": text}]``)
    on a cell graded by hand: items the LMS would leave out, and totals a tutor could not give."""
    sabaq = cell.get("metadata", {}).get("sabaq")
    if not isinstance(sabaq, dict) or "rubric" not in sabaq:
        return
    items = sabaq["rubric"]
    if role(cell) not in (Role.MANUAL, Role.TASK):
        found.note(name, "a rubric on a cell no tutor grades is never shown", "remove it, or mark the cell "
                   "as graded by hand (a manually graded answer or a task)")
        return
    if not isinstance(items, list) or not items:
        found.note(name, "the rubric is not a list of items", 'write it as [{"points": 1, "description": "..."}]')
        return
    for number, item in enumerate(items, start=1):
        value = item.get("points") if isinstance(item, dict) else None
        text = item.get("description") if isinstance(item, dict) else None
        if (isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value)
                or not isinstance(text, str) or not text.strip()):
            found.note(name, f"rubric item {number} has no points or no description, so tutors will not see it",
                       'give it "points" (a number) and "description" (text)')
    total = sum(i["points"] for i in items if isinstance(i, dict) and isinstance(i.get("points"), int | float)
                and not isinstance(i.get("points"), bool) and i["points"] > 0)
    if total > points(cell) + 1e-9:
        found.note(name, f"the rubric's items add up to {total:g} points, more than the cell's {points(cell):g}",
                   "a tutor's total is capped at the cell's points: make the items fit")


def static_problems(
    notebook: NotebookNode,
    name: str,
    *,
    folder: Path | None = None,
    files: Mapping[str, bytes] | None = None,
) -> list[Problem]:
    """Metadata and structure checks that need no execution.

    ``folder`` is where the notebook lives: ``autotests.yml`` is looked for there and in
    the course root, as nbgrader looks (``autotest.search_path``), after the notebook's
    data ``files``.
    """
    found = Findings(name)
    unusable = _metadata(notebook, found)
    upgraded = _upgraded_copy(notebook)
    seen: dict[str, int] = {}
    for index, cell in enumerate(upgraded.cells):
        name_, cell_role = cell_name(cell, index), role(cell)
        region_problems(cell, name_, found)
        rubric_problems(cell, name_, found)
        if index in unusable:
            continue
        if cell_role not in (Role.PLAIN, Role.LOCKED) and grade_id(cell) is None:
            found.error(name_, "a graded or solution cell has no grade_id", "give the cell a unique ID in the toolbar")
        if (gid := grade_id(cell)) is not None:
            if gid in seen:
                found.error(gid, f"grade id repeats cell {seen[gid] + 1}", "give every cell its own ID")
            seen[gid] = index
        if cell_role in (Role.TEST, Role.MANUAL, Role.TASK) and points(cell) <= 0:
            found.note(
                name_,
                "a graded cell is worth no points, so it counts for nothing",
                "set points to a positive number, or unmark the cell as graded",
            )
        if cell_role is Role.ANSWER and cell.cell_type == "code" and _regions()[0].begin not in cell.source:
            found.note(
                name_,
                "an answer cell has no BEGIN/END SOLUTION region: the student version replaces the whole cell "
                "with the stub",
                "wrap only the reference answer in ### BEGIN SOLUTION / ### END SOLUTION",
            )
    autotest_problems(upgraded, found, folder, files or {})
    if is_assignment(upgraded) and not any(role(cell) is Role.TEST for cell in upgraded.cells):
        by_hand = sum(points(cell) for cell in upgraded.cells if role(cell) in (Role.MANUAL, Role.TASK))
        found.note(
            "notebook",
            f"nothing is autograded: all {by_hand:g} points are graded by hand"
            if by_hand
            else "nothing is graded: no cell is worth points",
            "add an autograded test cell if part of the work can be checked by code",
        )
    return found.problems
