"""A course's grading policy in ``course.toml``: its assignment types and their weights.

```toml
[[grading]]
type = "Homework"      # Open edX's assignment type (the sequentials' format)
short_label = "HW"     # optional: the first letters of the type
weight = 0.4           # the type's share of the course grade
drop = 1               # optional: this many lowest scores are dropped

[[modules]]
items = [{ kind = "assignment", path = "...", type = "Homework" }]
```

Without ``[[grading]]`` every assignment is of the one type ``Assignment``, weight 1. An
assignment without a ``type`` is of the first type. Weights are shares: each above 0, all
together at most 1, as Open edX takes them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class AssignmentType:
    type: str
    short_label: str
    weight: float
    drop: int = 0


DEFAULT = (AssignmentType("Assignment", "A", 1.0),)
MAX_NAME = 60


class Problems(Protocol):
    def add(self, field: str, problem: str, fix: str) -> None: ...


def assignment_types(data: dict[str, Any], problems: Problems) -> tuple[AssignmentType, ...]:
    """The ``[[grading]]`` tables of ``course.toml``, checked (each mistake added to ``problems``)."""
    raw = data.get("grading")
    if raw is None:
        return DEFAULT
    fix = 'write `[[grading]]` tables with `type = "Homework"` and `weight = 0.5`'
    if not isinstance(raw, list) or not raw:
        problems.add("grading", "must be a non-empty array of tables", fix)
        return DEFAULT
    types: list[AssignmentType] = []
    for index, entry in enumerate(raw):
        where = f"grading[{index}]"
        if not isinstance(entry, dict):
            problems.add(where, "must be a table", fix)
            continue
        name = entry.get("type")
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
            problems.add(f"{where}.type", f"is {name!r}", f"give the type's name, at most {MAX_NAME} characters")
            continue
        if any(t.type == name for t in types):
            problems.add(f"{where}.type", f"repeats {name!r}", "give every type its own name")
        weight = entry.get("weight")
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not math.isfinite(weight) \
                or not 0 < weight <= 1:
            problems.add(f"{where}.weight", f"is {weight!r}", "give a share of the course grade above 0 and at most 1")
            continue
        drop = entry.get("drop", 0)
        if isinstance(drop, bool) or not isinstance(drop, int) or drop < 0:
            problems.add(f"{where}.drop", f"is {drop!r}", "give how many lowest scores to drop: 0 or more")
            continue
        label = entry.get("short_label", name[:3])
        if not isinstance(label, str) or not label.strip() or len(label) > 10:
            problems.add(f"{where}.short_label", f"is {label!r}", "give a few letters, at most 10")
            continue
        types.append(AssignmentType(name, label, float(weight), drop))
    if types and sum(t.weight for t in types) > 1 + 1e-9:
        problems.add("grading", f"weights add up to {sum(t.weight for t in types):g}", "make them add up to at most 1")
    return tuple(types) or DEFAULT
