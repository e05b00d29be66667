"""The submissions store: every submission, its state and its grade report.

Submissions live in one SQL table (SQLite under the data directory by default,
PostgreSQL for a large site) rather than in learner-scoped XBlock fields,
because the grader's callback and the staff report arrive outside the learner's
own context. The states and their moves are the contract's
(``sabaq_contract.states``).

Whether a submission may be stored at all is decided by the database, whatever
the concurrency:

* ``pending_slot`` is 1 while a submission is queued or running and NULL once it
  is final (a CHECK ties it to ``state``); a unique index on ``(block_id,
  learner_id, pending_slot)`` allows one pending submission per learner per block.
* ``attempt`` numbers the submissions that use an attempt (NULL for regrades and
  for submissions that could not be graded, which are free); a unique index on
  ``(block_id, learner_id, attempt)`` makes two concurrent submissions that saw the
  same attempts collide, and the loser retries with a fresh view.
* the row is written by one ``INSERT ... SELECT ... WHERE`` whose condition counts
  the attempts used, the learner's pending submissions and their recent ones, inside a
  transaction that first locks the learner's row of ``sabaq_learner_lock``, so limits
  that span blocks (pending cap, rate limit) are exact too.

The schema is the migrations' (``migrations``, run when the store is first opened);
``tables`` mirrors it. State changes after the row is stored (started, finished,
queued again, published) belong to ``lifecycle``, the only writer of a final state.
Tested on SQLite, PostgreSQL and MariaDB.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from sabaq_contract.states import State

from .errors import Conflict, NotAllowed, RateLimited

_RETRIES = 25


@dataclass(frozen=True)
class Submission:
    """One row of the store."""

    id: str
    block_id: str
    learner_id: str
    kind: str
    state: str
    task_id: str
    created: float
    updated: float
    notebook: str
    report: dict[str, Any] | None
    score: float | None
    max_score: float | None
    counts_attempt: bool
    attempt: int | None
    assignment: str | None = None
    callback_url: str | None = None
    leased: float | None = None
    started: float | None = None
    runs: int = 1
    published: bool | None = None
    manual: str | None = None  # waiting (for a tutor), graded (by one), or None: no manual cells

    @property
    def pending(self) -> bool:
        return self.state in (State.QUEUED, State.RUNNING)

    def summary(self) -> dict[str, Any]:
        """The row without the notebook, for staff reports."""
        error = (self.report or {}).get("error") or None
        return {
            "submission_id": self.id,
            "learner_id": self.learner_id,
            "kind": self.kind,
            "state": self.state,
            "created": self.created,
            "score": self.score,
            "max_score": self.max_score,
            "error": error,
            "assignment": self.assignment,  # the version graded against (the assignments table)
            "manual": self.manual,
        }


@dataclass(frozen=True)
class Admission:
    """The rules a learner's submission must pass to be stored (0 turns a rule off)."""

    max_attempts: int = 0
    max_pending: int = 0
    rate_limit: int = 0
    rate_window: float = 60.0


def from_row(row: Any) -> Submission:
    return Submission(
        id=row.id,
        block_id=row.block_id,
        learner_id=row.learner_id,
        kind=row.kind,
        state=row.state,
        task_id=row.task_id or "",
        created=row.created,
        updated=row.updated,
        notebook=row.notebook,
        report=json.loads(row.report) if row.report else None,
        score=row.score,
        max_score=row.max_score,
        counts_attempt=bool(row.counts_attempt),
        attempt=row.attempt,
        assignment=row.assignment,
        callback_url=row.callback_url,
        leased=row.leased,
        started=row.started,
        runs=int(row.runs),
        published=None if row.published is None else bool(row.published),
        manual=row.manual,
    )


def latest_graded(subs: list[Submission]) -> dict[str, Submission]:
    """Each learner's newest graded submission (``subs`` newest first): the one that stands for the
    learner in grading by hand, the dashboard and the grade export."""
    out: dict[str, Submission] = {}
    for sub in subs:
        if sub.state == "graded":
            out.setdefault(sub.learner_id, sub)
    return out


def lock_learner(conn: Any, learner_id: str) -> None:
    """Hold the learner's lock row until ``conn``'s transaction ends (created on first use): what
    decides one learner's submissions, practice runs and manual settling one at a time."""
    from .tables import learner_lock as locks

    now = time.time()
    touched = conn.execute(locks.update().where(locks.c.learner_id == learner_id).values(touched=now))
    if touched.rowcount == 0:
        conn.execute(locks.insert().values(learner_id=learner_id, touched=now))


@dataclass(frozen=True)
class Progress:
    """How far grading has got: the latest time a run that reached a worker was queued, and the
    latest time a run started or was graded (0.0: never)."""

    reached_lease: float
    last_start: float


class SubmissionStore:
    """Submissions in the database at ``url`` (an SQLAlchemy URL)."""

    def __init__(self, url: str) -> None:
        from . import database, tables

        self.engine = database.engine(url)
        self.table = tables.submission

    def create(
        self,
        block_id: str,
        learner_id: str,
        notebook: str,
        kind: str,
        counts_attempt: bool,
        admission: Admission | None = None,
        *,
        token: str = "",
        assignment: str | None = None,
        callback_url: str | None = None,
    ) -> Submission:
        """Store a queued submission if the rules allow it, in one decision of the database.

        ``token`` is the lease of its first run, ``assignment`` the checksum of what it is
        graded against, ``callback_url`` where its worker reports. Raises
        ``NotAllowed("no_attempts")``, ``Conflict("already_grading")`` (a submission of this
        learner to this block is pending), ``Conflict("too_many_pending")`` or
        ``RateLimited``; nothing is stored then.
        """
        import sqlalchemy as sa

        rules = admission or Admission()
        for _ in range(_RETRIES):
            submission_id = uuid.uuid4().hex
            try:
                with self.engine.begin() as conn:
                    lock_learner(conn, learner_id)
                    now = time.time()
                    row = {"id": submission_id, "block_id": block_id, "learner_id": learner_id,
                           "kind": kind, "notebook": notebook, "counts_attempt": counts_attempt,
                           "task_id": token, "assignment": assignment, "callback_url": callback_url}
                    statement = self._insert(row, rules, now)
                    conn.execute(statement)  # rowcount of INSERT ... SELECT is not portable
                    if conn.execute(sa.select(self.table.c.id).where(self.table.c.id == submission_id)).first() is None:
                        raise self._refusal(conn, block_id, learner_id, counts_attempt, rules, now)
            except sa.exc.IntegrityError:
                # A concurrent submission took the pending slot or the attempt number.
                if self.pending(block_id, learner_id):
                    raise Conflict("already_grading") from None
                continue
            except sa.exc.OperationalError as error:
                from .database import is_deadlock

                if not is_deadlock(error):
                    raise
                continue
            found = self.get(submission_id)
            assert found is not None
            return found
        raise Conflict("already_grading")

    def _scope(self, block_id: str, learner_id: str) -> Any:
        t = self.table
        return (t.c.block_id == block_id) & (t.c.learner_id == learner_id)

    def _insert(self, row: dict[str, Any], rules: Admission, now: float) -> Any:
        import sqlalchemy as sa

        t = self.table
        scope = self._scope(row["block_id"], row["learner_id"])
        values: dict[str, Any] = {
            **row, "state": State.QUEUED.value, "created": now, "updated": now, "leased": now,
            "pending_slot": 1, "runs": 1,
        }
        values = {name: value for name, value in values.items() if value is not None}
        columns: list[Any] = [sa.literal(value, t.c[name].type) for name, value in values.items()]
        if self.engine.dialect.name == "postgresql":  # it reads an untyped SELECT-list parameter as text
            columns = [sa.cast(c, sa.Text() if isinstance(v, str) else c.type) for c, v in zip(
                columns, values.values(), strict=True)]
        names = list(values)
        if row["counts_attempt"]:
            names.append("attempt")
            columns.append(sa.select(sa.func.coalesce(sa.func.max(t.c.attempt), 0) + 1).where(scope)
                           .scalar_subquery())
        pending_here = sa.exists().where(scope, t.c.pending_slot.is_not(None))
        conditions = [~pending_here, *self._limits(row["learner_id"], scope, row["counts_attempt"], rules, now)]
        return t.insert().from_select(names, sa.select(*columns).where(*conditions))

    def _limits(self, learner_id: str, scope: Any, counts_attempt: bool, rules: Admission, now: float) -> list[Any]:
        """SQL conditions for the attempt limit, the pending cap and the rate limit."""
        import sqlalchemy as sa

        t = self.table
        if not counts_attempt:
            return []
        out = []
        if rules.max_attempts:
            out.append(sa.select(sa.func.count(t.c.attempt)).where(scope).scalar_subquery() < rules.max_attempts)
        if rules.max_pending:
            out.append(sa.select(sa.func.count(t.c.pending_slot)).where(t.c.learner_id == learner_id)
                       .scalar_subquery() < rules.max_pending)
        if rules.rate_limit:
            recent = (t.c.learner_id == learner_id) & (t.c.kind != "regrade") & (
                t.c.created > now - rules.rate_window)
            out.append(sa.select(sa.func.count()).where(recent).scalar_subquery() < rules.rate_limit)
        return out

    def _refusal(
        self, conn: Any, block_id: str, learner_id: str, counts_attempt: bool, rules: Admission, now: float
    ) -> Exception:
        """Why the conditional insert stored nothing (the learner's lock is still held)."""
        import sqlalchemy as sa

        t, scope = self.table, self._scope(block_id, learner_id)

        def scalar(query: Any) -> Any:
            return conn.execute(query).scalar()

        if counts_attempt and rules.max_attempts and scalar(
            sa.select(sa.func.count(t.c.attempt)).where(scope)
        ) >= rules.max_attempts:
            return NotAllowed("no_attempts")
        if scalar(sa.select(sa.func.count(t.c.pending_slot)).where(scope)):
            return Conflict("already_grading")
        if counts_attempt and rules.max_pending and scalar(
            sa.select(sa.func.count(t.c.pending_slot)).where(t.c.learner_id == learner_id)
        ) >= rules.max_pending:
            return Conflict("too_many_pending", limit=rules.max_pending)
        recent = (t.c.learner_id == learner_id) & (t.c.kind != "regrade") & (t.c.created > now - rules.rate_window)
        oldest = scalar(sa.select(sa.func.min(t.c.created)).where(recent))
        return RateLimited((oldest or now) + rules.rate_window - now)

    def get(self, submission_id: str) -> Submission | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                self.table.select().where(self.table.c.id == submission_id)
            ).first()
        return from_row(row) if row is not None else None

    def for_learner(self, block_id: str, learner_id: str) -> list[Submission]:
        """The learner's submissions to this block, newest first."""
        t = self.table
        with self.engine.connect() as conn:
            rows = conn.execute(
                t.select().where(self._scope(block_id, learner_id)).order_by(t.c.created.desc())
            ).all()
        return [from_row(r) for r in rows]

    def for_block(self, block_id: str) -> list[Submission]:
        """Every submission to this block, newest first (staff report)."""
        t = self.table
        with self.engine.connect() as conn:
            rows = conn.execute(
                t.select().where(t.c.block_id == block_id).order_by(t.c.created.desc())
            ).all()
        return [from_row(r) for r in rows]

    def block_ids(self) -> list[str]:
        """Every block with a submission in the store (reports that span a course)."""
        import sqlalchemy as sa

        with self.engine.connect() as conn:
            return sorted(conn.execute(sa.select(self.table.c.block_id).distinct()).scalars())

    def attempts_used(self, block_id: str, learner_id: str) -> int:
        """Submissions that were or may still be graded; one that could not be graded is free."""
        import sqlalchemy as sa

        t = self.table
        with self.engine.connect() as conn:
            used = conn.execute(
                sa.select(sa.func.count(t.c.attempt)).where(self._scope(block_id, learner_id))
            ).scalar()
        return int(used or 0)

    def pending(self, block_id: str, learner_id: str) -> bool:
        """Whether the learner has a queued or running submission to this block."""
        import sqlalchemy as sa

        t = self.table
        with self.engine.connect() as conn:
            count = conn.execute(
                sa.select(sa.func.count(t.c.pending_slot)).where(self._scope(block_id, learner_id))
            ).scalar()
        return bool(count)

    def waiting(self, before: float, limit: int = 500) -> list[Submission]:
        """Pending submissions whose run was queued before ``before``, oldest first (reconciler)."""
        t = self.table
        with self.engine.connect() as conn:
            rows = conn.execute(
                t.select().where(t.c.pending_slot.is_not(None), t.c.leased < before)
                .order_by(t.c.leased).limit(limit)
            ).all()
        return [from_row(r) for r in rows]

    def progress(self, now: float, since: float) -> Progress:
        """How far the workers have got through the queue since ``since`` (the oldest waiting
        run's lease: nothing older can be evidence), for the reconciler; two index range reads.
        Rows stamped after ``now`` (a host whose clock runs fast) are no evidence and left out."""
        import sqlalchemy as sa

        t = self.table
        graded = t.c.state == State.GRADED.value
        reached = sa.or_(t.c.started.is_not(None), graded)
        with self.engine.connect() as conn:
            lease, finish = conn.execute(sa.select(
                sa.func.max(sa.case((reached, t.c.leased))),
                sa.func.max(sa.case((graded, t.c.updated))),
            ).where(t.c.leased >= since, t.c.leased <= now)).one()
            start = conn.execute(sa.select(sa.func.max(t.c.started))
                                 .where(t.c.started >= since, t.c.started <= now)).scalar()
        graded_at = float(finish) if finish is not None and finish <= now else 0.0
        return Progress(float(lease or 0.0), max(float(start or 0.0), graded_at))

    def unpublished(self, limit: int = 500) -> list[Submission]:
        """Graded submissions whose score has not left the block yet."""
        t = self.table
        with self.engine.connect() as conn:
            rows = conn.execute(
                t.select().where(t.c.state == State.GRADED.value, t.c.published.is_(False))
                .order_by(t.c.updated).limit(limit)
            ).all()
        return [from_row(r) for r in rows]

    def delete(self, submission_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(self.table.delete().where(self.table.c.id == submission_id))
