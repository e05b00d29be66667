"""What changed between two versions of a bundle, as a partner needs to know it.

Lesson text, tests, points, solutions and data files, cell by cell (cells are matched by
their nbgrader ``grade_id``, else their cell id, else their place). Hidden tests are said to
have changed, never shown: a partner's staff may read the diff in front of students. Hidden
lines are found exactly as nbgrader finds them, and a changed cell whose remaining text still
mentions hidden tests in any spelling is not shown at all (fail closed).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator
from typing import Any

from .bundles import Bundle

_ANY_HIDDEN = re.compile(r"hidden\s*tests?", re.I)  # a remnant of a marker, in any spelling
SHOWN_LINES = 12  # of a visible change's unified diff


def _source(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    if isinstance(source, list):
        return "".join(str(line) for line in source)
    return str(source)


def _split(source: str, begin: str, end: str) -> tuple[str, list[str]]:
    """(the lines outside the regions, the lines inside), exactly as nbgrader's ClearHiddenTests
    and ClearSolutions find them: a line holding ``begin`` opens, one holding ``end`` closes,
    lines split on newlines only."""
    kept: list[str] = []
    inside: list[str] = []
    within = False
    for line in source.split("\n"):
        if begin in line:
            within = True
        (inside if within else kept).append(line)
        if within and end in line:
            within = False
    return "\n".join(kept), inside


def _meta(cell: dict[str, Any]) -> dict[str, Any]:
    metadata = cell.get("metadata")
    meta = metadata.get("nbgrader", {}) if isinstance(metadata, dict) else {}
    return meta if isinstance(meta, dict) else {}


def _points(cell: dict[str, Any]) -> float:
    value = _meta(cell).get("points")
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _cells(content: bytes) -> dict[str, dict[str, Any]]:
    try:
        cells = json.loads(content).get("cells", [])
    except (ValueError, AttributeError, RecursionError):
        return {}
    if not isinstance(cells, list):
        return {}
    keyed: dict[str, dict[str, Any]] = {}
    for index, cell in enumerate(c for c in cells if isinstance(c, dict)):
        key = _meta(cell).get("grade_id") or cell.get("id") or f"cell {index + 1}"
        key = key if isinstance(key, str) else f"cell {index + 1}"
        keyed[str(key)] = cell
    return keyed


def _kind(cell: dict[str, Any]) -> str:
    meta = _meta(cell)
    if meta.get("grade") and not meta.get("solution") and cell.get("cell_type") == "code":
        return "test"
    if meta.get("solution"):
        return "answer"
    return "text" if cell.get("cell_type") == "markdown" else "code"


def _shown(old: str, new: str) -> list[str]:
    lines = list(difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=1))[2:]
    return [f"      {line}" for line in lines[:SHOWN_LINES]] + (
        [f"      ... ({len(lines) - SHOWN_LINES} more lines)"] if len(lines) > SHOWN_LINES else [])


def _cell_changes(key: str, old: dict[str, Any], new: dict[str, Any]) -> Iterator[str]:
    kind = _kind(new)
    before, after = _source(old), _source(new)
    old_points, new_points = _meta(old).get("points"), _meta(new).get("points")
    if old_points != new_points and (old_points is not None or new_points is not None):
        yield f"  points of `{key}`: {old_points!r} -> {new_points!r}"
    if before == after and _kind(old) == kind:
        return
    if _kind(old) != kind:
        yield f"  `{key}` is now a {kind} cell (was {_kind(old)})"
    visible_before, hidden_before = _split(before, "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
    visible_after, hidden_after = _split(after, "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
    if hidden_before != hidden_after:
        yield f"  hidden tests of `{key}` changed (not shown)"
    visible_before, solution_before = _split(visible_before, "BEGIN SOLUTION", "END SOLUTION")
    visible_after, solution_after = _split(visible_after, "BEGIN SOLUTION", "END SOLUTION")
    if solution_before != solution_after:
        yield f"  the solution in `{key}` changed"
    if visible_before != visible_after:
        label = {"test": "test", "text": "lesson text", "answer": "answer cell", "code": "code"}[kind]
        if _ANY_HIDDEN.search(visible_before) or _ANY_HIDDEN.search(visible_after):
            # a marker nbgrader would not have recognised either: say nothing of the text
            yield f"  {label} `{key}` changed (not shown: it mentions hidden tests)"
            return
        yield f"  {label} `{key}` changed:"
        yield from _shown(visible_before, visible_after)


def notebook_changes(old: bytes, new: bytes) -> Iterator[str]:
    """What changed between two versions of one notebook (lines for a partner, hidden tests never shown)."""
    before, after = _cells(old), _cells(new)
    for key in after.keys() - before.keys():
        yield f"  {_kind(after[key])} cell `{key}` added" + (
            f" ({_points(after[key]):g} points)" if _points(after[key]) else "")
    for key in before.keys() - after.keys():
        yield f"  {_kind(before[key])} cell `{key}` removed"
    for key in [k for k in after if k in before]:
        yield from _cell_changes(key, before[key], after[key])
    total = [sum(_points(c) for c in cells.values() if _meta(c).get("grade")) for cells in (before, after)]
    if total[0] != total[1]:
        yield f"  total points: {total[0]:g} -> {total[1]:g}"


def describe_changes(old: Bundle, new: Bundle) -> list[str]:
    """Lines a partner reads: what ``new`` changes compared with ``old``."""
    lines = [f"{old.id} {old.version} -> {new.id} {new.version}"]
    if old.id != new.id:
        lines.append(f"  note: these are different modules ({old.id}, {new.id})")
    for field in ("title", "licence", "languages", "authors", "requires_sabaq", "nbgrader_metadata_version"):
        if old.manifest.get(field) != new.manifest.get(field):
            lines.append(f"{field}: {json.dumps(old.manifest.get(field), ensure_ascii=False)} -> "
                         f"{json.dumps(new.manifest.get(field), ensure_ascii=False)}")
    before, after = old.manifest["files"], new.manifest["files"]
    for name in sorted(after.keys() - before.keys()):
        lines.append(f"added: {name}")
    for name in sorted(before.keys() - after.keys()):
        lines.append(f"removed: {name}")
    for name in sorted(n for n in after if n in before and after[n]["sha256"] != before[n]["sha256"]):
        if name.endswith(".ipynb"):
            changes = list(notebook_changes(old.files[name], new.files[name]))
            lines.append(f"changed: {name}" + ("" if changes else " (metadata or outputs only)"))
            lines.extend(changes)
        else:
            lines.append(f"changed: {name} ({before[name]['bytes']} -> {after[name]['bytes']} bytes)")
    if len(lines) == 1:
        lines.append("no changes")
    return lines
