"""What a learner may see of a grade report.

The report follows grade-report schema v1. Hidden tests are reduced to their
points and pass mark (the engine already withholds their source and output; we
drop message and output again here so no policy can leak them), and the block's
feedback policy decides how much of the rest is shown.
"""

from __future__ import annotations

from typing import Any

POLICIES = ("full", "tests", "score")


def learner_feedback(report: dict[str, Any] | None, policy: str) -> list[dict[str, Any]]:
    """Per-test feedback rows for the learner under ``policy``."""
    if not report or report.get("status") != "graded" or policy == "score":
        return []
    rows = []
    for test in report.get("tests", []):
        if not isinstance(test, dict):
            continue
        hidden = bool(test.get("hidden"))
        row: dict[str, Any] = {
            "grade_id": str(test.get("grade_id", "")),
            "points": test.get("points", 0),
            "max_points": test.get("max_points", 0),
            "passed": bool(test.get("passed")),
            "hidden": hidden,
        }
        if policy == "full" and not hidden:
            row["message"] = str(test.get("message", ""))
            if test.get("output"):
                row["output"] = str(test["output"])
        rows.append(row)
    return rows


def error_of(report: dict[str, Any] | None) -> dict[str, str] | None:
    """The report's error (kind and message), if grading failed."""
    error = (report or {}).get("error")
    if isinstance(error, dict):
        return {"kind": str(error.get("kind", "")), "message": str(error.get("message", ""))}
    return None


def manual_feedback(report: dict[str, Any] | None, state: str | None, grades: dict[str, Any]) -> dict[str, Any] | None:
    """What the learner sees of the cells a tutor grades: that they wait for the tutor (with the
    automatic part of the score), or, once all are graded, each cell's points and comment.
    Tutors' comments are written for the learner: every feedback policy shows them."""
    from .manual_grades import GRADED, cells_to_grade

    if state is None:
        return None
    automatic = float((report or {}).get("score", 0) or 0)
    if state != GRADED:
        return {"state": state, "automatic": automatic}
    cells = [{"grade_id": cell.grade_id, "max_points": cell.max_points,
              "points": grades[cell.grade_id].points, "comment": grades[cell.grade_id].comment}
             for cell in cells_to_grade(report) if cell.grade_id in grades]
    return {"state": state, "automatic": automatic, "cells": cells}
