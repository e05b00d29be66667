"""The grade report: a versioned JSON document from the grader, shown and stored by the block.

Its JSON schema ships here (``schemas/grade-report.v1.json``, version 1.2); the grader
validates every report against it in its tests. ``check`` is what the block needs before
it stores one: the shape it reads, with finite scores, checked with the standard library.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from importlib import resources
from typing import Any

from .errors import ReportInvalid

SCHEMA_VERSION = 1
SCHEMA_MINOR = 2  # 1.1: manual points in max_score, needs_manual_grade, manual kind/points; 1.2: manual source
STATUSES = ("graded", "error")
ERROR_KINDS = (
    "invalid_notebook", "unsupported_metadata", "wrong_assignment", "too_large",
    "sandbox_unavailable", "tampering", "grader_failure", "timeout",
)


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    """The report's JSON schema (draft 2020-12)."""
    text = resources.files("sabaq_contract").joinpath("schemas/grade-report.v1.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def error_report(
    kind: str,
    message: str,
    *,
    engine_version: str = "unknown",
    assignment: dict[str, str] | None = None,
    max_score: float = 0.0,
    timings: dict[str, float] | None = None,
) -> dict[str, Any]:
    """The report of a submission that could not be graded: ``kind`` (one of ``ERROR_KINDS``)
    says why in a word, ``message`` in a sentence. Never a silent zero."""
    if kind not in ERROR_KINDS:
        raise ReportInvalid("bad_error_kind", kind)
    report: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "schema_minor": SCHEMA_MINOR,
        "engine_version": engine_version,
        "status": "error",
        "score": 0.0,
        "max_score": max_score,
        "needs_manual_grade": False,
        "tests": [],
        "manual": [],
        "error": {"kind": kind, "message": message},
        "warnings": [],
        "timings": timings or {"total_ms": 0.0},
    }
    if assignment is not None:
        report["assignment"] = assignment
    return report


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ReportInvalid("bad_report", "a score is not a finite number")
    return float(value)


def check(report: Any) -> dict[str, Any]:
    """``report`` if the block can store and show it; ``ReportInvalid("bad_report")`` if not.

    The status is ``graded`` or ``error``; a graded report has finite scores with
    0 <= score <= max_score; the tests, when present, are a list of objects; the error,
    when present, an object; the major schema version, when present, is 1.
    """
    if not isinstance(report, dict) or report.get("status") not in STATUSES:
        raise ReportInvalid("bad_report", "no status graded or error")
    if report.get("schema_version", SCHEMA_VERSION) != SCHEMA_VERSION:
        raise ReportInvalid("bad_report", f"schema version {report.get('schema_version')!r}")
    tests = report.get("tests", [])
    if not isinstance(tests, list) or not all(isinstance(test, dict) for test in tests):
        raise ReportInvalid("bad_report", "tests is not a list of objects")
    if report.get("error") is not None and not isinstance(report["error"], dict):
        raise ReportInvalid("bad_report", "error is not an object")
    if report["status"] == "graded":
        score, max_score = _number(report.get("score")), _number(report.get("max_score"))
        if not 0 <= score <= max_score + 1e-6:
            raise ReportInvalid("bad_report", "score outside 0..max_score")
    return report
