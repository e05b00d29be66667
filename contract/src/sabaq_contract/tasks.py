"""The grading tasks the block queues by name, and the payload of one grading (and of a practice run).

The block sends ``GRADE_TASK`` with ``GradeRequest.args()`` and ``GradeRequest.kwargs()``;
the worker's task takes the same names. ``token`` is the lease of this run: the block
issues a fresh one whenever it queues a submission (again), and refuses callbacks that
carry any other, so a late result of a superseded run changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

GRADE_TASK = "sabaq.grade"
PREPARE_TASK = "sabaq.prepare"
LIMIT_NAMES = ("max_notebook_bytes", "max_cells")


@dataclass(frozen=True)
class GradeRequest:
    """One grading of one submission.

    ``files`` maps the assignment's data files to base64 content; ``limits`` are the
    lecturer's (``LIMIT_NAMES``), checked by the worker before any code runs;
    ``callback_url`` is where the worker reports back (none: the result backend only).
    """

    instructor: str
    submission: str
    submission_id: str = ""
    token: str = ""
    callback_url: str | None = None
    files: dict[str, str] = field(default_factory=dict)
    limits: dict[str, int] = field(default_factory=dict)

    def args(self) -> list[str]:
        return [self.instructor, self.submission]

    def kwargs(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.submission_id,
            "token": self.token,
            "callback": {"url": self.callback_url} if self.callback_url else None,
            "files": dict(self.files) or None,
        }
        if self.limits:
            out["limits"] = {k: int(v) for k, v in self.limits.items() if k in LIMIT_NAMES}
        return out

    @classmethod
    def of(
        cls,
        instructor: str,
        submission: str,
        name: str = "",
        token: str = "",
        callback: dict[str, str] | None = None,
        files: dict[str, str] | None = None,
        limits: dict[str, int] | None = None,
    ) -> GradeRequest:
        """The request a worker received as ``args`` and ``kwargs``."""
        url = (callback or {}).get("url") or None
        return cls(instructor, submission, name, token, url, dict(files or {}), dict(limits or {}))


PRACTICE_TASK = "sabaq.practice"
PRACTICE_KINDS = ("answer", "test")
PRACTICE_STATUSES = ("ok", "error", "timeout", "not_run")
PRACTICE_OUTPUT_CHARS = 4000
"""The most characters of output (or of a message) one cell of a practice run reports."""


@dataclass(frozen=True)
class PracticeRequest:
    """One practice run: a learner's answers and the visible tests, run but never graded.

    ``notebook`` is the student version (nbgrader's release: no solutions, no hidden tests)
    with the learner's answers in its solution cells; the worker strips any hidden-test region
    it still finds and runs no test cell left without code. ``files`` are the assignment's data
    files (base64); ``timeout`` is the seconds the whole run may take in the sandbox.

    The worker answers :func:`practice_result`'s shape: ``ended`` and ``message`` (how the run
    ended), ``cells`` (one row per answer and per test cell that ran, in order: ``grade_id``,
    ``kind`` from ``PRACTICE_KINDS``, ``status`` from ``PRACTICE_STATUSES``, ``passed`` for a
    test, ``message`` and ``output`` as text of at most ``PRACTICE_OUTPUT_CHARS``) and
    ``timings`` (``total_ms``, ``code_ms``). There is no score in it.
    """

    notebook: str
    files: dict[str, str] = field(default_factory=dict)
    timeout: float = 10.0

    def args(self) -> list[str]:
        return [self.notebook]

    def kwargs(self) -> dict[str, Any]:
        return {"files": dict(self.files) or None, "timeout": float(self.timeout)}

    @classmethod
    def of(cls, notebook: str, files: dict[str, str] | None = None, timeout: float = 10.0) -> PracticeRequest:
        """The request a worker received as ``args`` and ``kwargs``."""
        return cls(notebook, dict(files or {}), float(timeout))


def practice_result(value: Any) -> dict[str, Any]:
    """``value`` as a practice result (see :class:`PracticeRequest`), its text cut to size;
    ``ValueError`` when it is not one."""
    if not isinstance(value, dict) or not isinstance(value.get("cells"), list):
        raise ValueError("a practice result is an object with a list of cells")
    cells = []
    for cell in value["cells"]:
        if not isinstance(cell, dict) or not isinstance(cell.get("grade_id"), str):
            raise ValueError("each cell of a practice result names its grade_id")
        kind, status = cell.get("kind"), cell.get("status")
        if kind not in PRACTICE_KINDS or status not in PRACTICE_STATUSES:
            raise ValueError(f"unknown kind {kind!r} or status {status!r} in a practice result")
        cells.append({
            "grade_id": cell["grade_id"], "kind": kind, "status": status,
            "passed": bool(cell.get("passed")) if kind == "test" else None,
            "message": str(cell.get("message") or "")[:PRACTICE_OUTPUT_CHARS],
            "output": str(cell.get("output") or "")[:PRACTICE_OUTPUT_CHARS],
        })
    given = value.get("timings")
    timings: dict[str, Any] = given if isinstance(given, dict) else {}
    return {
        "ended": str(value.get("ended") or ""),
        "message": str(value.get("message") or "")[:PRACTICE_OUTPUT_CHARS],
        "cells": cells,
        "timings": {k: float(v) for k, v in timings.items() if isinstance(v, int | float) and not isinstance(v, bool)},
    }
