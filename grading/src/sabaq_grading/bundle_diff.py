"""What changed between two versions of a bundle, as a partner needs to know it.

Lesson text, tests, points, solutions and data files, cell by cell (cells are matched by
their nbgrader ``grade_id``, else their cell id, else their place). Hidden tests are said to
have changed, never shown: a partner's staff may read the diff in front of students.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator
from typing import Any

from .bundle import Bundle

_HIDDEN = re.compile(r"^[ \t]*#+[ \t]*BEGIN HIDDEN TESTS.*?^[ \t]*#+[ \t]*END HIDDEN TESTS[^\n]*\n?", re.M | re.S)
_SOLUTION = re.compile(r"^[ \t]*#+[ \t]*BEGIN SOLUTION.*?^[ \t]*#+[ \t]*END SOLUTION[^\n]*\n?", re.M | re.S)
SHOWN_LINES = 12  # of a visible change's unified diff


def _source(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _meta(cell: dict[str, Any]) -> dict[str, Any]:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def _cells(content: bytes) -> dict[str, dict[str, Any]]:
    try:
        cells = json.loads(content).get("cells", [])
    except (ValueError, AttributeError):
        return {}
    keyed: dict[str, dict[str, Any]] = {}
    for index, cell in enumerate(c for c in cells if isinstance(c, dict)):
        key = _meta(cell).get("grade_id") or cell.get("id") or f"cell {index + 1}"
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
        yield f"  points of `{key}`: {old_points} -> {new_points}"
    if before == after and _kind(old) == kind:
        return
    if _kind(old) != kind:
        yield f"  `{key}` is now a {kind} cell (was {_kind(old)})"
    hidden_before, hidden_after = _HIDDEN.findall(before), _HIDDEN.findall(after)
    visible_before, visible_after = _HIDDEN.sub("", before), _HIDDEN.sub("", after)
    if hidden_before != hidden_after:
        yield f"  hidden tests of `{key}` changed (not shown)"
    if kind == "answer":
        if _SOLUTION.findall(before) != _SOLUTION.findall(after):
            yield f"  the solution in `{key}` changed"
        visible_before, visible_after = _SOLUTION.sub("", visible_before), _SOLUTION.sub("", visible_after)
    if visible_before != visible_after:
        label = {"test": "test", "text": "lesson text", "answer": "answer cell", "code": "code"}[kind]
        yield f"  {label} `{key}` changed:"
        yield from _shown(visible_before, visible_after)


def _notebook_changes(old: bytes, new: bytes) -> Iterator[str]:
    before, after = _cells(old), _cells(new)
    for key in after.keys() - before.keys():
        yield f"  {_kind(after[key])} cell `{key}` added" + (
            f" ({_meta(after[key]).get('points')} points)" if _meta(after[key]).get("points") else "")
    for key in before.keys() - after.keys():
        yield f"  {_kind(before[key])} cell `{key}` removed"
    for key in [k for k in after if k in before]:
        yield from _cell_changes(key, before[key], after[key])
    total = [sum(float(_meta(c).get("points") or 0) for c in cells.values() if _meta(c).get("grade"))
             for cells in (before, after)]
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
            changes = list(_notebook_changes(old.files[name], new.files[name]))
            lines.append(f"changed: {name}" + ("" if changes else " (metadata or outputs only)"))
            lines.extend(changes)
        else:
            lines.append(f"changed: {name} ({before[name]['bytes']} -> {after[name]['bytes']} bytes)")
    if len(lines) == 1:
        lines.append("no changes")
    return lines
