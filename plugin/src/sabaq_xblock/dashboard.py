"""How a cohort is doing on one assignment: the figures of the staff dashboard and ``sabaq report``.

Everything is computed from the store's submissions (newest first), with each learner's
latest submission standing for the learner: submissions by state, the distribution of whole
scores (a share of the maximum, in tenths; scores waiting for a tutor are counted apart), the
pass rate of every test (hidden tests included: this is for staff only), the most common error
messages (grading errors and the last line of failing tests' messages), the learners stuck on a
grading error or waiting long, who has not submitted (when the enrolment is known), and how
long grading took.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from typing import Any

from .manual_grades import WAITING
from .submissions import Submission, latest_graded

BINS = 10
TOP_ERRORS = 10
STUCK_AFTER = 600.0  # seconds a submission may wait before its learner counts as stuck


def latest(subs: list[Submission]) -> dict[str, Submission]:
    """Each learner's newest submission (``subs`` newest first)."""
    out: dict[str, Submission] = {}
    for sub in subs:
        out.setdefault(sub.learner_id, sub)
    return out


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 1)


def _histogram(graded: list[Submission]) -> list[int]:
    counts = [0] * BINS
    for sub in graded:
        if sub.max_score:
            share = max(0.0, min(1.0, (sub.score or 0.0) / sub.max_score))
            counts[min(BINS - 1, int(share * BINS))] += 1
    return counts


def _tests(graded: list[Submission]) -> list[dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for sub in graded:
        for test in (sub.report or {}).get("tests", []):
            if not isinstance(test, dict):
                continue
            grade_id = str(test.get("grade_id", ""))
            row = rows.setdefault(grade_id, {"grade_id": grade_id, "hidden": bool(test.get("hidden")),
                                             "max_points": test.get("max_points", 0), "passed": 0, "total": 0})
            row["total"] += 1
            row["passed"] += bool(test.get("passed"))
            if not test.get("passed"):
                row.setdefault("failed", []).append(sub.id)  # to grade again once the test is fixed
    for row in rows.values():
        row.setdefault("failed", [])
        row["pass_rate"] = round(row["passed"] / row["total"], 4) if row["total"] else None
    return sorted(rows.values(), key=lambda r: (r["pass_rate"] if r["pass_rate"] is not None else 1.0, r["grade_id"]))


def _errors(last: list[Submission], graded: list[Submission]) -> list[dict[str, Any]]:
    counts: Counter[tuple[str, str]] = Counter()
    for sub in last:
        error = (sub.report or {}).get("error") if sub.state == "error" else None
        if isinstance(error, dict):
            counts[(str(error.get("kind", "")), str(error.get("message", "")).strip()[:300])] += 1
    for sub in graded:
        for test in (sub.report or {}).get("tests", []):
            if isinstance(test, dict) and not test.get("passed"):
                message = str(test.get("message", "")).strip().splitlines()
                counts[(f"test:{test.get('grade_id', '')}", message[-1][:300] if message else "")] += 1
    return [{"where": where, "message": message, "count": count}
            for (where, message), count in counts.most_common(TOP_ERRORS)]


def figures(subs: list[Submission], *, enrolled: list[str] | None = None, now: float | None = None) -> dict[str, Any]:
    """The dashboard of one assignment from its submissions (newest first)."""
    at = time.time() if now is None else now
    last = latest(subs)
    graded_by = latest_graded(subs)
    graded = list(graded_by.values())
    states = Counter(sub.state for sub in last.values())
    waiting_tutor = sum(1 for sub in graded if sub.manual == WAITING)
    whole = [sub for sub in graded if sub.manual != WAITING]  # a score waiting for a tutor is not one yet
    scores = [sub.score or 0.0 for sub in whole]
    stuck = [{"learner_id": sub.learner_id, "state": sub.state,
              "kind": str(((sub.report or {}).get("error") or {}).get("kind", "")), "since": sub.updated}
             for sub in last.values()
             if sub.state == "error" or (sub.pending and at - sub.created > STUCK_AFTER)]
    totals = [float((sub.report or {}).get("timings", {}).get("total_ms", 0) or 0) for sub in subs
              if sub.state == "graded" and isinstance((sub.report or {}).get("timings"), dict)]
    waits = [sub.started - sub.created for sub in subs if sub.started is not None and sub.started >= sub.created]
    return {
        "learners": len(last),
        "submissions": len(subs),
        "states": {name: states.get(name, 0) for name in ("queued", "running", "graded", "error")},
        "waiting_for_tutor": waiting_tutor,
        "scores": {
            "histogram": _histogram(whole),
            "max_score": max((sub.max_score or 0.0 for sub in graded), default=0.0),
            "mean": round(statistics.fmean(scores), 2) if scores else None,
            "median": round(statistics.median(scores), 2) if scores else None,
        },
        "tests": _tests(graded),
        "errors": _errors(list(last.values()), graded),
        "stuck": sorted(stuck, key=lambda row: row["since"]),
        "not_submitted": sorted(set(enrolled) - set(last)) if enrolled is not None else None,
        "grading_ms": {"median": _percentile(totals, 0.5), "p95": _percentile(totals, 0.95)},
        "queue_wait_s": {"median": _percentile(waits, 0.5), "p95": _percentile(waits, 0.95)},
        "generated": at,
    }
