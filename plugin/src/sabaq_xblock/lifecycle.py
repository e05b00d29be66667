"""A submission's life after it is stored: the only module that moves it between states.

The moves are the contract's (``sabaq_contract.states``): each is one conditional UPDATE
that names the states it may start from and, for the grader's moves, the run's lease
token, so a callback from a run that was superseded (queued again after it went silent)
changes nothing. Only ``finish`` writes a final state, and only ``publish`` lets a score
out of the block: it first claims the submission's ``published`` flag, so each graded
submission is published exactly once, whoever finished it (the grader's callback or the
reconciler) and however many processes race. ``reconcile`` is the one path that repairs
what the queue lost: a result whose callback never came, a run whose worker died or hung,
a score that was not published; run it periodically (``python -m sabaq_xblock.reconcile``).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sabaq_contract import logs, states
from sabaq_contract import report as reports
from sabaq_contract.settings import Settings
from sabaq_contract.states import State
from sabaq_contract.tasks import GradeRequest

from . import manual_grades
from .assignments import Assignment, Assignments
from .backend import GradingBackend
from .errors import BackendUnavailable, Conflict, NotFound, RunGone, SabaqBlockError, store_down
from .manual_grades import ManualGrades
from .submissions import Admission, Progress, Submission, SubmissionStore, from_row, lock_learner

Publish = Callable[[Submission], None]
log = logging.getLogger(__name__)


def new_token() -> str:
    """A fresh lease token (also the run's Celery task id)."""
    return uuid.uuid4().hex


@dataclass
class Reconciled:
    """What one ``reconcile`` pass did, by submission id."""

    finished: list[str]
    requeued: list[str]
    given_up: list[str]
    published: list[str]
    unreachable: bool = False


class Lifecycle:
    """The moves of the submissions in ``store``, queued through ``backend``."""

    def __init__(self, store: SubmissionStore, backend: GradingBackend, settings: Settings) -> None:
        self.store = store
        self.backend = backend
        self.settings = settings
        self.assignments = Assignments(store.engine)
        self.manual = ManualGrades(store.engine)

    # ---- none -> queued ------------------------------------------------------------

    def submit(
        self,
        block_id: str,
        learner_id: str,
        notebook: str,
        kind: str,
        assignment: Assignment,
        callback_url: str | None,
        admission: Admission | None,
    ) -> Submission:
        """Store the submission (if ``admission`` lets it in; regrades pass none) and queue it.

        The row is stored first, then the task; the row is removed again if the backend
        refuses the task, so nothing waits for a task that does not exist.
        """
        checksum = self.assignments.save(assignment)
        token = new_token()
        sub = self.store.create(block_id, learner_id, notebook, kind, kind != "regrade", admission,
                                token=token, assignment=checksum, callback_url=callback_url)
        try:
            self.backend.enqueue(self._request(sub, assignment, token))
        except SabaqBlockError:
            self.store.delete(sub.id)
            raise
        log.info("submission %s queued", sub.id, extra=logs.fields(
            "queued", sub.id, block_id=block_id, state=sub.state, run=sub.runs, token=token))
        return sub

    @staticmethod
    def _request(sub: Submission, assignment: Assignment, token: str) -> GradeRequest:
        return GradeRequest(assignment.instructor, sub.notebook, sub.id, token, sub.callback_url,
                            dict(assignment.files), dict(assignment.limits))

    # ---- the grader's moves ----------------------------------------------------------

    def _move(self, submission_id: str, token: str, target: State, values: dict[str, Any]) -> bool:
        t = self.store.table
        where = [t.c.id == submission_id, t.c.state.in_(states.sources(target))]
        if token:
            where.append(t.c.task_id == token)
        with self.store.engine.begin() as conn:
            moved = conn.execute(t.update().where(*where).values(updated=time.time(), **values)).rowcount
        return bool(moved == 1)

    def _refusal(self, submission_id: str, token: str, starting: bool) -> SabaqBlockError:
        """Why a move of run ``token`` did not happen. A report for a final submission is a
        replay (409); a run that was superseded, or that starts when there is nothing left to
        grade, is gone (410): its worker grades nothing."""
        sub = self.store.get(submission_id)
        if sub is None:
            return NotFound("no_submission")
        if not sub.pending:
            return RunGone("already_final") if starting else Conflict("already_final")
        return RunGone("callback_stale", f"run {token} was superseded by {sub.task_id}")

    def start(self, submission_id: str, token: str) -> None:
        """The worker of run ``token`` started grading: the submission is ``running``."""
        if not self._move(submission_id, token, State.RUNNING, {"state": State.RUNNING.value,
                                                                 "started": time.time()}):
            raise self._refusal(submission_id, token, starting=True)
        log.info("submission %s started", submission_id, extra=logs.fields(
            "started", submission_id, state=State.RUNNING.value, token=token or None))

    def finish(self, submission_id: str, token: str, report: dict[str, Any], publish: Publish | None) -> Submission:
        """Store run ``token``'s checked ``report``: the submission's final state; then publish.

        A submission that could not be graded gives its attempt back.
        """
        graded = report.get("status") == "graded"
        values: dict[str, Any] = {
            "state": (State.GRADED if graded else State.ERROR).value,
            "report": json.dumps(report),
            "score": float(report.get("score", 0)) if graded else None,
            "max_score": float(report.get("max_score", 0)) if graded else None,
            "pending_slot": None,
            "published": False if graded else None,
        }
        if not graded:
            values["attempt"] = None
        elif manual_grades.cells_to_grade(report):  # settled below, with the tutors' grades it already has
            values.update(manual=manual_grades.WAITING, published=None)
        if not self._move(submission_id, token, State(values["state"]), values):
            raise self._refusal(submission_id, token, starting=False)
        sub = self.store.get(submission_id)
        assert sub is not None
        log.info("submission %s finished: %s", sub.id, sub.state, extra=logs.fields(
            "finished", sub.id, block_id=sub.block_id, state=sub.state, run=sub.runs, token=sub.task_id,
            error_kind=None if graded else (report.get("error") or {}).get("kind")))
        if sub.manual is not None:
            return self.settle_learner(sub.block_id, sub.learner_id, publish) or sub
        if publish is not None:
            self.publish(sub, publish)
        return sub

    def settle_learner(self, block_id: str, learner_id: str, publish: Publish | None) -> Submission | None:
        """Bring the learner's latest graded submission's score up to date with the tutors'
        grades, and publish it when it is whole and changed (a correction is published again).

        Settling holds the learner's lock for the whole read-and-write, so settlings of one
        learner (a tutor's save, a regrade finishing, an import, the reconciler's sweep) happen
        one after the other, each seeing every grade saved before it; older submissions still
        waiting are superseded, never published."""
        t = self.store.table
        with self.store.engine.begin() as conn:
            lock_learner(conn, learner_id)
            row = conn.execute(t.select().where(t.c.block_id == block_id, t.c.learner_id == learner_id,
                                                t.c.state == State.GRADED.value)
                               .order_by(t.c.created.desc()).limit(1)).first()
            sub = from_row(row) if row is not None else None
            if sub is None or sub.manual is None:
                return sub
            grades = self.manual.for_submission(block_id, learner_id, sub.notebook, sub.report, conn)
            score, manual = manual_grades.settle(sub.report, grades)
            moved = (score, manual) != (sub.score, sub.manual)
            if moved:
                values: dict[str, Any] = {"score": score, "manual": manual, "updated": time.time()}
                if manual == manual_grades.GRADED:
                    values["published"] = False
                conn.execute(t.update().where(t.c.id == sub.id).values(**values))
            conn.execute(t.update().where(t.c.block_id == block_id, t.c.learner_id == learner_id, t.c.id != sub.id,
                                          t.c.manual == manual_grades.WAITING).values(manual="superseded"))
        settled = self.store.get(sub.id)
        assert settled is not None
        if moved:
            log.info("submission %s manually graded: %s", sub.id, manual, extra=logs.fields(
                "manual_graded", sub.id, block_id=sub.block_id, state=sub.state, run=sub.runs, token=sub.task_id))
        if publish is not None and settled.manual == manual_grades.GRADED:
            self.publish(settled, publish)
        return settled

    def publish(self, sub: Submission, publish: Publish) -> bool:
        """Let ``sub``'s score out through ``publish`` unless it has left already; True if now."""
        t = self.store.table
        claim = t.update().where(t.c.id == sub.id, t.c.state == State.GRADED.value, t.c.published.is_(False))
        with self.store.engine.begin() as conn:
            if conn.execute(claim.values(published=True)).rowcount != 1:
                return False
        try:
            publish(sub)
        except BaseException:
            with self.store.engine.begin() as conn:
                conn.execute(t.update().where(t.c.id == sub.id).values(published=False))
            raise
        log.info("submission %s published", sub.id, extra=logs.fields(
            "published", sub.id, block_id=sub.block_id, state=sub.state, run=sub.runs, token=sub.task_id))
        now = self.store.get(sub.id) if sub.manual is not None else None  # a tutor's correction meanwhile?
        if now is not None and now.score != sub.score and now.state == State.GRADED.value:
            with self.store.engine.begin() as conn:
                conn.execute(t.update().where(t.c.id == sub.id).values(published=False))
            self.publish(now, publish)  # the newest score goes out last
        return True

    # ---- reconciling with the queue --------------------------------------------------

    def _reconcile_runs(self, publish: Publish | None, at: float, grace: float, done: Reconciled) -> None:
        waiting = self.store.waiting(before=at - grace)
        if not waiting:
            return
        progress = self.store.progress(at, since=min(sub.leased or sub.updated for sub in waiting))
        for sub in waiting:
            try:
                poll = self.backend.poll(sub.task_id)
                if poll.report is not None:
                    self.finish(sub.id, sub.task_id, poll.report, publish)
                    done.finished.append(sub.id)
                elif poll.state == State.RUNNING and sub.state == State.QUEUED:
                    self.start(sub.id, sub.task_id)  # the queue says it started: its callback is late or lost
                elif not (poll.lost or self.overdue(sub, at, progress)):
                    continue
                elif sub.runs >= self.settings.max_runs:
                    message = f"no grader finished this submission in {sub.runs} runs"
                    message += f" ({poll.detail})" if poll.detail else ""
                    self.finish(sub.id, sub.task_id, reports.error_report("grader_failure", message), publish)
                    done.given_up.append(sub.id)
                elif self.requeue(sub):
                    done.requeued.append(sub.id)
            except (Conflict, RunGone):
                continue  # a callback moved it meanwhile
            except BackendUnavailable:
                done.unreachable = True
                return
            except Exception as error:  # one submission's trouble (its publish, say) is not the others'
                if store_down(error):
                    raise
                log.exception("reconciling submission %s failed; the next pass tries again", sub.id)

    def _publish_waiting(self, publish: Publish, done: Reconciled) -> None:
        for sub in self.store.unpublished():
            try:
                if self.publish(sub, publish):
                    done.published.append(sub.id)
            except Exception as error:
                if store_down(error):
                    raise
                log.exception("publishing submission %s failed; the next pass tries again", sub.id)

    def overdue(self, sub: Submission, now: float, progress: Progress | None = None) -> bool:
        """Whether ``sub``'s run is lost: it started longer ago than any run may take; or it was
        never started, though the queue (first in, first out) has started a run queued more than
        ``visibility_margin`` after it; or it has waited ``queue_timeout`` while no run at all
        started or was graded (``progress`` from ``store.progress()``; without it, the wait
        alone decides). A long queue that is moving is not evidence of a lost run. (A run the
        queue says has started is never judged here as unstarted: ``reconcile`` records it.)"""
        if sub.state == State.RUNNING and sub.started is not None:
            return now - sub.started > self.settings.visibility_timeout
        queued = sub.leased or sub.updated
        if progress is None:
            return now - queued > self.settings.queue_timeout
        if progress.reached_lease > queued + self.settings.visibility_margin:
            return True
        return now - queued > self.settings.queue_timeout and now - progress.last_start > self.settings.queue_timeout

    def requeue(self, sub: Submission) -> bool:
        """Queue ``sub`` again under a new token (its old run's results are refused from now)."""
        assignment = self.assignments.get(sub.assignment or "")
        if assignment is None:
            self.finish(sub.id, sub.task_id, reports.error_report(
                "grader_failure", "the assignment this submission was made for is no longer stored"), None)
            return False
        token, now, t = new_token(), time.time(), self.store.table
        lease = t.update().where(t.c.id == sub.id, t.c.task_id == sub.task_id, t.c.pending_slot.is_not(None))
        with self.store.engine.begin() as conn:
            won = conn.execute(lease.values(task_id=token, state=State.QUEUED.value, leased=now, started=None,
                                            runs=sub.runs + 1, updated=now)).rowcount
        if won != 1:
            return False  # another reconciler, or a callback, moved it first
        try:
            self.backend.enqueue(self._request(sub, assignment, token))
        except BackendUnavailable:
            back = t.update().where(t.c.id == sub.id, t.c.task_id == token)
            with self.store.engine.begin() as conn:
                conn.execute(back.values(task_id=sub.task_id, state=sub.state, leased=sub.leased,
                                         started=sub.started, runs=sub.runs))
            raise
        log.info("submission %s queued again as run %s (run %d)", sub.id, token, sub.runs + 1, extra=logs.fields(
            "requeued", sub.id, block_id=sub.block_id, state=State.QUEUED.value, run=sub.runs + 1, token=token))
        return True

    def reconcile(self, publish: Publish | None, *, grace: float = 30.0, now: float | None = None) -> Reconciled:
        """One idempotent pass over the pending submissions queued more than ``grace`` s ago.

        A run whose task ended (its callback lost) is finished with the task's result; a
        run that is lost (``overdue``) is queued again, until ``MAX_RUNS`` runs, after which the
        submission is a ``grader_failure`` error (never a silent zero); graded submissions
        whose score did not leave the block are published (when ``publish`` is given).
        """
        at = time.time() if now is None else now
        done = Reconciled([], [], [], [])
        try:
            self._reconcile_runs(publish, at, grace, done)
            if publish is not None:
                self._publish_waiting(publish, done)
        except Exception as error:
            if not store_down(error):
                raise
            log.warning("the submissions store cannot be reached; the next pass tries again: %s", error)
            done.unreachable = True
        return done
