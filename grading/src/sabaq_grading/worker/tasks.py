"""The grading tasks. The engine is imported inside each task, so a worker starts fast."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import threading
import urllib.request
from collections import OrderedDict
from typing import Any

from .app import app
from .callback import signed_headers

log = logging.getLogger(__name__)
_GRADER: list[Any] = []
_ASSIGNMENTS: OrderedDict[str, Any] = OrderedDict()
_LOCK = threading.Lock()


def _grader() -> Any:
    """One engine per worker process: it keeps warm sandboxes between tasks."""
    if not _GRADER:
        from sabaq_grading.engine import Grader

        _GRADER.append(Grader())
    return _GRADER[0]


def _assignment(instructor: str, files: dict[str, str] | None) -> Any:
    """The prepared assignment, cached by content so repeat submissions skip preparation."""
    key = hashlib.sha256(
        json.dumps([instructor, sorted((files or {}).items())]).encode("utf-8")
    ).hexdigest()
    with _LOCK:
        if key in _ASSIGNMENTS:
            _ASSIGNMENTS.move_to_end(key)
            return _ASSIGNMENTS[key]
    decoded = {name: base64.b64decode(data) for name, data in (files or {}).items()}
    prepared = _grader().assignment(instructor, files=decoded)
    with _LOCK:
        _ASSIGNMENTS[key] = prepared
        while len(_ASSIGNMENTS) > 64:
            _ASSIGNMENTS.popitem(last=False)
    return prepared


def over_limits(submission: str, limits: dict[str, int] | None) -> str | None:
    """Why ``submission`` is over the lecturer's ``limits`` (``max_notebook_bytes``,
    ``max_cells``), or None; checked before any of its code runs."""
    if not limits:
        return None
    max_bytes, max_cells = limits.get("max_notebook_bytes"), limits.get("max_cells")
    size = len(submission.encode("utf-8", "surrogatepass"))
    if isinstance(max_bytes, int) and size > max_bytes:
        return f"the notebook is {size} bytes, over this assignment's limit of {max_bytes} bytes"
    if isinstance(max_cells, int):
        try:
            cells = json.loads(submission).get("cells")
        except (ValueError, RecursionError, AttributeError):
            return None  # not a notebook: the engine says so in its own words
        if isinstance(cells, list) and len(cells) > max_cells:
            return f"the notebook has {len(cells)} cells, over this assignment's limit of {max_cells} cells"
    return None


@app.task(name="sabaq.grade")  # type: ignore[untyped-decorator]
def grade(
    instructor: str,
    submission: str,
    name: str = "",
    callback: dict[str, str] | None = None,
    files: dict[str, str] | None = None,
    limits: dict[str, int] | None = None,
) -> dict[str, Any]:
    """Grade ``submission`` against ``instructor``; return the grade report (schema v1).

    ``files`` maps the data files the assignment's code reads to their base64 content;
    ``limits`` are the lecturer's per-submission limits: a submission over them is a
    ``too_large`` grading error and runs nothing.

    When ``callback`` names a URL, the report is also POSTed there, signed with
    ``SABAQ_CALLBACK_SECRET``. A failed callback is logged and does not fail the
    task: the block also reads the result from the result backend.
    """
    reason = over_limits(submission, limits)
    if reason is not None:
        from sabaq_grading.report import error_report

        report: dict[str, Any] = error_report("too_large", reason)
        if name:
            report["submission"] = name
    else:
        report = _grader().grade(_assignment(instructor, files), submission, name=name)
    if callback and callback.get("url"):
        _post_callback(callback["url"], name, report)
    return report


@app.task(name="sabaq.prepare")  # type: ignore[untyped-decorator]
def prepare(instructor: str, files: dict[str, str] | None = None) -> dict[str, Any]:
    """Validate an instructor notebook and, when sound, make its student version.

    Assignments are proven sound in this worker's sandboxes (reference earns full
    marks, blank version zero, no weak tests); ``files`` are their data files (base64).
    """
    from sabaq_grading.validate import validate_notebook

    from .prepare import page_notebook

    try:
        decoded = {name: base64.b64decode(data) for name, data in (files or {}).items()}
        problems = validate_notebook(json.loads(instructor), grader=_grader(), files=decoded)
    except Exception as error:  # an unreadable notebook is one problem, not a crash
        return {"problems": [{"message": str(error), "cell": None, "hint": ""}], "student": None}
    rows = [
        {
            "message": str(p.message),
            "cell": getattr(p, "cell", None),
            "hint": str(getattr(p, "hint", "") or ""),
        }
        for p in problems
    ]
    if rows:
        return {"problems": rows, "student": None}
    return {"problems": [], "student": page_notebook(json.loads(instructor))}


def _post_callback(url: str, submission_id: str, report: dict[str, Any]) -> None:
    secret = os.environ.get("SABAQ_CALLBACK_SECRET", "")
    if not secret:
        log.warning("callback to %s skipped: SABAQ_CALLBACK_SECRET is not set", url)
        return
    body = json.dumps({"submission_id": submission_id, "report": report}).encode("utf-8")
    headers = {"Content-Type": "application/json", **signed_headers(secret, body)}
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
    except Exception as error:  # the result backend still holds the report
        log.warning("callback to %s failed: %s", url, error)
