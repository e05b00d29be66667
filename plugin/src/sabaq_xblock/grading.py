"""Submissions and the grading backend put together, independent of the XBlock.

``GradingService`` queues a submission (store row first, then the task; the row
is removed again if the backend refuses it), refreshes a pending submission
from the backend, accepts the grader's signed callback, and builds the staff
report. Whoever moves a submission to its final state publishes its score, so
each graded submission is published exactly once. Whether a submission may be stored
(attempts, one pending per learner per block, the learner's pending cap and rate
limit) is the store's single decision; reports are checked before they are stored.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Mapping
from typing import Any

from . import feedback, signature
from .backend import CeleryBackend, GradingBackend
from .config import Settings
from .errors import Conflict, NotFound, ReportInvalid, RequestInvalid, SabaqBlockError
from .limits import SubmissionLimits
from .requests import parse_json
from .submissions import PENDING_STATES, Admission, Submission, SubmissionStore

Publish = Callable[[str, float, float], None]


def failure_report(kind: str, message: str) -> dict[str, Any]:
    """A schema-v1 report for a submission the grader could not handle at all."""
    return {
        "schema_version": 1,
        "engine_version": "unknown",
        "status": "error",
        "score": 0,
        "max_score": 0,
        "tests": [],
        "manual": [],
        "error": {"kind": kind, "message": message},
        "timings": {"total_ms": 0},
    }


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ReportInvalid("bad_report")
    return float(value)


def checked_report(report: Any) -> dict[str, Any]:
    """``report`` if it is a grade report the block can store and show; ``ReportInvalid`` if not.

    A graded report needs finite scores with 0 <= score <= max_score; the tests, when
    present, a list of objects; the error, when present, an object.
    """
    if not isinstance(report, dict) or report.get("status") not in ("graded", "error"):
        raise ReportInvalid("bad_report")
    if not isinstance(report.get("tests", []), list) or not all(
        isinstance(test, dict) for test in report.get("tests", [])
    ):
        raise ReportInvalid("bad_report")
    if report.get("error") is not None and not isinstance(report["error"], dict):
        raise ReportInvalid("bad_report")
    if report["status"] == "graded":
        score, max_score = _number(report.get("score")), _number(report.get("max_score"))
        if not 0 <= score <= max_score + 1e-6:
            raise ReportInvalid("bad_report")
    return report


class GradingService:
    """Everything about grading one block's submissions."""

    def __init__(
        self, settings: Settings, block_id: str, backend: GradingBackend | None = None
    ) -> None:
        self.settings = settings
        self.block_id = block_id
        self.store = SubmissionStore(settings.submissions_db)
        self.backend: GradingBackend = backend or CeleryBackend(settings)

    def admission(self, max_attempts: int) -> Admission:
        """The rules a learner's own submission must pass, from the block and the deployment."""
        return Admission(
            max_attempts=max_attempts,
            max_pending=self.settings.max_pending_per_learner,
            rate_limit=self.settings.submit_rate_limit,
            rate_window=self.settings.submit_rate_window,
        )

    def submit(
        self,
        instructor: str,
        submission: str,
        learner_id: str,
        kind: str,
        callback: str | None,
        files: dict[str, str] | None = None,
        *,
        limits: SubmissionLimits,
        admission: Admission | None = None,
    ) -> Submission:
        """Store the submission (if ``admission`` lets it in) and queue it; regrades pass none."""
        if not instructor:
            raise Conflict("no_notebook")
        sub = self.store.create(
            self.block_id, learner_id, submission, kind, kind != "regrade", admission
        )
        try:
            task_id = self.backend.enqueue(
                instructor,
                submission,
                name=sub.id,
                callback={"url": callback} if callback else None,
                files=files,
                limits=limits.task(),
            )
        except SabaqBlockError:
            self.store.delete(sub.id)
            raise
        self.store.set_task(sub.id, task_id)
        return sub

    def refresh(
        self,
        sub: Submission,
        publish: Publish,
        instructor: str = "",
        files: dict[str, str] | None = None,
        limits: SubmissionLimits | None = None,
    ) -> Submission:
        """Ask the backend about a pending submission and record what it says.

        A submission pending for longer than the grading timeout is queued again (its
        task may have died with a worker that could not hand it back); finishing is
        idempotent, so a late duplicate result changes nothing.
        """
        if sub.state not in PENDING_STATES or not sub.task_id:
            return sub
        poll = self.backend.poll(sub.task_id)
        if poll.state in ("queued", "running") and instructor and (
            time.time() - sub.updated > self.settings.grade_timeout
        ):
            task_id = self.backend.enqueue(
                instructor, sub.notebook, name=sub.id, callback=None, files=files,
                limits=limits.task() if limits is not None else None,
            )
            self.store.set_task(sub.id, task_id)
        elif poll.state == "running":
            self.store.mark_running(sub.id)
        elif poll.state == "done" and isinstance(poll.result, dict):
            try:
                report = checked_report(poll.result)
            except ReportInvalid:
                report = failure_report("grader_failure", "the grader returned a malformed report")
            self._finish(sub.id, report, publish)
        elif poll.state in ("done", "failed"):
            report = failure_report("grader_failure", str(poll.result)[:500])
            self._finish(sub.id, report, publish)
        found = self.store.get(sub.id)
        return found if found is not None else sub

    def _finish(self, submission_id: str, report: dict[str, Any], publish: Publish) -> bool:
        if not self.store.finish(submission_id, report):
            return False
        sub = self.store.get(submission_id)
        if sub is not None and sub.state == "graded":
            publish(sub.learner_id, sub.score or 0.0, sub.max_score or 0.0)
        return True

    def accept_callback(
        self, secret: str, body: bytes, headers: Mapping[str, str], publish: Publish
    ) -> None:
        signature.verify(
            secret,
            body,
            headers.get(signature.TIMESTAMP_HEADER),
            headers.get(signature.SIGNATURE_HEADER),
        )
        data = parse_json(body)
        if not isinstance(data, dict) or not isinstance(data.get("submission_id"), str):
            raise RequestInvalid("bad_callback")
        submission_id = data["submission_id"]
        report = checked_report(data.get("report"))
        sub = self.store.get(submission_id)
        if sub is None or sub.block_id != self.block_id:
            raise NotFound("no_submission")
        if not self._finish(submission_id, report, publish):
            raise Conflict("already_final")

    def regrade(
        self,
        submission_id: str,
        instructor: str,
        callback: str | None,
        files: dict[str, str] | None = None,
        *,
        limits: SubmissionLimits,
    ) -> Submission:
        """Grade a stored submission again (no attempt used; refused while one is pending)."""
        original = self.store.get(submission_id)
        if original is None or original.block_id != self.block_id:
            raise NotFound("no_submission")
        return self.submit(
            instructor, original.notebook, original.learner_id, "regrade", callback, files,
            limits=limits,
        )

    def report(self, learner_id: str | None) -> dict[str, Any]:
        """Staff view: per-learner summaries, or one learner's submissions in full."""
        if learner_id is not None:
            subs = self.store.for_learner(self.block_id, str(learner_id))
            return {
                "learner_id": learner_id,
                "submissions": [
                    {**s.summary(), "report": s.report, "notebook": json.loads(s.notebook)}
                    for s in subs
                ],
            }
        learners: dict[str, dict[str, Any]] = {}
        for sub in self.store.for_block(self.block_id):
            row = learners.setdefault(
                sub.learner_id,
                {"learner_id": sub.learner_id, "submissions": 0, "latest": sub.summary()},
            )
            row["submissions"] += 1
        return {"learners": sorted(learners.values(), key=lambda r: r["learner_id"]),
                "generated": time.time(), "feedback_policies": list(feedback.POLICIES)}
