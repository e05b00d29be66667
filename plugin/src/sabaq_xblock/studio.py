"""Saving the Studio form: settings, and a new instructor notebook checked by the grader.

Every value is checked for its type and range before anything changes (the form sends
text; JSON clients may send numbers, but never booleans, fractions for whole numbers or
non-finite values). A new notebook is sent to the grading workers (``sabaq.prepare``):
they run the validator and build the student version with nbgrader's preprocessors. An
unsound notebook is refused with the validator's messages and nothing changes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from . import feedback, limits
from . import notebook as nbmod
from .errors import NotebookInvalid, SabaqBlockError
from .requests import NOTEBOOK_DEPTH, parse_json

MAX_WEIGHT = 1000.0
MAX_ATTEMPTS = 1000
MAX_NAME = 200
FORM_FIELDS = (
    ("display_name", "text"),
    ("weight", "number"),
    ("max_attempts", "number"),
    ("feedback_policy", "text"),
    ("max_notebook_kb", "number"),
    ("max_cells", "number"),
    ("anonymous_grading", "checkbox"),
)
_WHOLE = re.compile(r"\s*\+?\d{1,9}\s*")
_DECIMAL = re.compile(r"\s*\+?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?\s*")

Prepare = Callable[[str], dict[str, Any]]


class SettingInvalid(SabaqBlockError):
    """A Studio setting has the wrong type or a value outside its range."""


class NotebookUnsound(SabaqBlockError):
    """The validator found problems in a new instructor notebook; ``problems`` lists them."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("unsound")
        self.problems = problems


def _whole(value: Any, low: int, high: int, code: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _WHOLE.fullmatch(value):
        number = int(value)
    else:
        raise SettingInvalid(code, max=high)
    if not low <= number <= high:
        raise SettingInvalid(code, max=high)
    return number


def _decimal(value: Any, low: float, high: float, code: str) -> float:
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    if not (numeric or (isinstance(value, str) and _DECIMAL.fullmatch(value))):
        raise SettingInvalid(code)
    number = float(value)
    if not (math.isfinite(number) and low <= number <= high):
        raise SettingInvalid(code)
    return number


def _text(value: Any, choices: tuple[str, ...] | None, code: str) -> str:
    if not isinstance(value, str):
        raise SettingInvalid(code)
    text = value.strip()
    if (choices is not None and text not in choices) or len(text) > MAX_NAME:
        raise SettingInvalid(code)
    return text


def settings_values(data: dict[str, Any]) -> dict[str, Any]:
    """The field values the form ``data`` sets; ``SettingInvalid`` for any bad or unknown one."""
    known = {name for name, _kind in FORM_FIELDS} | {"notebook"}
    for name in data:
        if name not in known:
            raise SettingInvalid("unknown_setting", name=str(name)[:40])
    out: dict[str, Any] = {}
    if "display_name" in data:
        out["display_name"] = _text(data["display_name"], None, "bad_display_name") or "Notebook"
    if "weight" in data:
        out["weight"] = _decimal(data["weight"], 0.0, MAX_WEIGHT, "bad_weight")
    if "max_attempts" in data:
        out["max_attempts"] = _whole(data["max_attempts"], 0, MAX_ATTEMPTS, "bad_max_attempts")
    if "feedback_policy" in data:
        out["feedback_policy"] = _text(data["feedback_policy"], feedback.POLICIES, "bad_feedback_policy")
    if "max_notebook_kb" in data:
        out["max_notebook_kb"] = _whole(data["max_notebook_kb"], 1, limits.HARD_MAX_KB, "bad_max_notebook_kb")
    if "max_cells" in data:
        out["max_cells"] = _whole(data["max_cells"], 1, limits.HARD_MAX_CELLS, "bad_max_cells")
    if "anonymous_grading" in data:
        if not isinstance(data["anonymous_grading"], bool):
            raise SettingInvalid("bad_anonymous_grading")
        out["anonymous_grading"] = data["anonymous_grading"]
    return out


def new_notebooks(data: dict[str, Any], prepare: Prepare) -> dict[str, str]:
    """The instructor notebook in ``data`` and its student version, checked by the graders."""
    given = data.get("notebook")
    if given is None or given == "":
        return {}
    if not isinstance(given, str):
        raise SettingInvalid("bad_notebook_field")
    if len(given.encode("utf-8")) > nbmod.MAX_NOTEBOOK_BYTES:
        raise NotebookInvalid("too_large")
    try:
        parsed = parse_json(given, max_depth=NOTEBOOK_DEPTH)
    except SabaqBlockError as error:
        raise NotebookInvalid("not_json") from error
    if not isinstance(parsed, dict):
        raise NotebookInvalid("no_cells")
    text = nbmod.dumps(nbmod.load(parsed))
    prepared = prepare(text)
    problems = prepared.get("problems") or []
    if problems or not isinstance(prepared.get("student"), dict):
        raise NotebookUnsound([
            (f"[{p['cell']}] " if p.get("cell") else "")
            + f"{p.get('message', '')}"
            + (f" ({p['hint']})" if p.get("hint") else "")
            for p in problems
            if isinstance(p, dict)
        ])
    return {"notebook": text, "student_notebook": nbmod.dumps(prepared["student"])}


def studio_changes(data: dict[str, Any], current: dict[str, Any], prepare: Prepare) -> dict[str, Any]:
    """The fields to assign for the Studio form ``data``; raises before anything is assigned.

    ``current`` holds the block's ``student_notebook``, ``max_notebook_kb`` and ``max_cells``:
    the limits must let the assignment's own notebook through, or no learner could submit.
    """
    values = settings_values(data)
    notebooks = new_notebooks(data, prepare)
    merged = {**current, **values, **notebooks}
    if merged.get("student_notebook"):
        check_limits(merged["student_notebook"], merged["max_notebook_kb"], merged["max_cells"])
    return {**values, **notebooks}


def check_limits(student_notebook: str, max_kb: int, max_cells: int) -> None:
    """The limits must let the assignment's own notebook through, or no learner could submit."""
    own = nbmod.load(student_notebook)
    bound = limits.SubmissionLimits.of(max_kb, max_cells)
    size = len(limits.serialise(own).encode("utf-8"))
    if len(own["cells"]) > bound.max_cells or size > bound.max_bytes:
        raise SettingInvalid("limit_below_assignment", cells=len(own["cells"]), kb=math.ceil(size / 1024))
