"""Saving the Studio form: settings, and a new instructor notebook checked by the grader.

A new notebook is sent to the grading workers (``sabaq.prepare``): they run the
validator and build the student version with nbgrader's preprocessors. An
unsound notebook is refused with the validator's messages and nothing changes.
"""

from __future__ import annotations

import json
from typing import Any

from webob import Response

from . import feedback, i18n
from . import notebook as nbmod
from .errors import SabaqBlockError


class SettingInvalid(SabaqBlockError):
    """A Studio setting has a value outside its range."""


def _settings(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    try:
        if "display_name" in data:
            out["display_name"] = str(data["display_name"]).strip()[:200] or "Notebook"
        if "weight" in data:
            out["weight"] = float(data["weight"])
            if not out["weight"] >= 0:
                raise ValueError
        if "max_attempts" in data:
            out["max_attempts"] = int(data["max_attempts"])
            if out["max_attempts"] < 0:
                raise ValueError
        if "feedback_policy" in data:
            out["feedback_policy"] = str(data["feedback_policy"])
            if out["feedback_policy"] not in feedback.POLICIES:
                raise ValueError
    except (TypeError, ValueError) as exc:
        raise SettingInvalid("bad_setting") from exc
    return out


def save_studio(block: Any, data: Any) -> dict[str, Any] | Response:
    """Apply the Studio form ``data`` to ``block``; refuse unsound notebooks with reasons."""
    if not isinstance(data, dict):
        raise SettingInvalid("bad_setting")
    values = _settings(data)
    notebooks: dict[str, str] = {}
    if data.get("notebook"):
        instructor = nbmod.load(str(data["notebook"]))
        text = nbmod.dumps(instructor)
        prepared = block._grading.backend.prepare(text, block._settings.prepare_timeout)
        problems = prepared.get("problems") or []
        if problems or not isinstance(prepared.get("student"), dict):
            lines = [
                (f"[{p['cell']}] " if p.get("cell") else "")
                + f"{p.get('message', '')}"
                + (f" ({p['hint']})" if p.get("hint") else "")
                for p in problems
                if isinstance(p, dict)
            ]
            body = {"error": i18n.error_message("unsound"), "problems": lines}
            return Response(json.dumps(body), status=400, content_type="application/json",
                            charset="utf8")
        notebooks = {"notebook": text, "student_notebook": nbmod.dumps(prepared["student"])}
    for name, value in {**values, **notebooks}.items():
        setattr(block, name, value)
    return {"saved": sorted({**values, **notebooks})}
