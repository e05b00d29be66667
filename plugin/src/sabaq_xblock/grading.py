"""Grading one block's submissions, for the block's handlers: submit, callbacks, staff views.

``GradingService`` puts the store, the backend and the lifecycle together. Whether a
submission may be stored (attempts, one pending per learner per block, the learner's
pending cap and rate limit) is the store's single decision; every later move, and every
score that leaves the block, is the lifecycle's (``lifecycle``). The grader's callbacks are
checked here against the contract: signature (``sabaq_contract.signing``), message and
report (``sabaq_contract.callbacks``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from sabaq_contract import callbacks, signing
from sabaq_contract.errors import ContractError
from sabaq_contract.settings import Settings

from . import feedback, queue
from .assignments import Assignment
from .backend import CeleryBackend, GradingBackend
from .errors import Conflict, NotFound, from_contract
from .lifecycle import Lifecycle, Publish, Reconciled
from .limits import SubmissionLimits
from .requests import parse_json
from .submissions import Admission, Submission, SubmissionStore


class GradingService:
    """Everything about grading one block's submissions."""

    def __init__(
        self, settings: Settings, block_id: str, backend: GradingBackend | None = None
    ) -> None:
        self.settings = settings
        self.block_id = block_id
        self.store = SubmissionStore(settings.submissions_db)
        self.backend: GradingBackend = backend or CeleryBackend(settings)
        self.lifecycle = Lifecycle(self.store, self.backend, settings)

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
        assignment = Assignment(instructor, dict(files or {}), limits.task())
        return self.lifecycle.submit(self.block_id, learner_id, submission, kind, assignment, callback,
                                     admission)

    def accept_callback(
        self, secret: str, body: bytes, headers: Mapping[str, str], publish: Publish
    ) -> str:
        """Check and apply a grader's signed callback; the event it was (started, finished)."""
        try:
            signing.verify(secret, body, headers.get(signing.TIMESTAMP_HEADER),
                           headers.get(signing.SIGNATURE_HEADER))
            message = callbacks.parse(parse_json(body))
        except ContractError as error:
            raise from_contract(error) from error
        sub = self.store.get(message.submission_id)
        if sub is None or sub.block_id != self.block_id:
            raise NotFound("no_submission")
        if message.event == callbacks.STARTED:
            self.lifecycle.start(sub.id, message.token)
        else:
            assert message.report is not None
            self.lifecycle.finish(sub.id, message.token, message.report, publish)
        return message.event

    def reconcile(self, publish: Publish | None, **options: Any) -> Reconciled:
        """One reconciling pass over the whole store (every block's submissions)."""
        return self.lifecycle.reconcile(publish, **options)

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
        """Staff view: per-learner summaries and the block's queue, or one learner's submissions."""
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
                "generated": time.time(), "feedback_policies": list(feedback.POLICIES),
                "queue": self.queue()}

    def instructor_of(self, assignment: str | None) -> str | None:
        """The instructor notebook a submission's ``assignment`` (checksum) was graded against."""
        found = self.lifecycle.assignments.get(assignment or "") if assignment else None
        return found.instructor if found is not None else None

    def queue(self) -> dict[str, Any]:
        """This block's figures of the grading queue (``queue.figures``), for its staff."""
        return asdict(queue.figures(self.store.engine, self.settings.max_runs, self.block_id))
