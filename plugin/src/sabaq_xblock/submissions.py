"""The submissions store: every submission, its state and its grade report.

Submissions live in one SQL table (SQLite under the data directory by default,
PostgreSQL for a large site) rather than in learner-scoped XBlock fields,
because the grader's callback and the staff report arrive outside the learner's
own context. The state machine is ``queued → running → graded | error``; the
move to a final state is one conditional UPDATE, and only the caller that wins
it publishes the score, so each graded submission is published exactly once.

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

Schema changes: new tables are created with every column, index and CHECK. A table
created by an earlier version (before ``attempt`` and ``pending_slot``) is upgraded in
place when the store first opens it: the two columns are added and filled from the
existing rows (attempts numbered by creation time; the newest pending submission of a
learner per block holds the pending slot) and the unique indexes are created; the CHECK
constraints, which SQLite cannot add to an existing table, exist only on new tables.
Tested on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from .errors import Conflict, NotAllowed, RateLimited

FINAL_STATES = ("graded", "error")
PENDING_STATES = ("queued", "running")
TABLE = "sabaq_submission"
LOCK_TABLE = "sabaq_learner_lock"
_RETRIES = 25

_STORES: dict[str, tuple[Any, Any, Any]] = {}
_LOCK = threading.Lock()


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
        }


@dataclass(frozen=True)
class Admission:
    """The rules a learner's submission must pass to be stored (0 turns a rule off)."""

    max_attempts: int = 0
    max_pending: int = 0
    rate_limit: int = 0
    rate_window: float = 60.0


def _schema(meta: Any) -> tuple[Any, Any]:
    import sqlalchemy as sa

    pending = ", ".join(f"'{s}'" for s in PENDING_STATES)
    table = sa.Table(
        TABLE,
        meta,
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("block_id", sa.String(255), nullable=False, index=True),
        sa.Column("learner_id", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("task_id", sa.String(64), nullable=False, default=""),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("updated", sa.Float, nullable=False),
        sa.Column("notebook", sa.Text, nullable=False),
        sa.Column("report", sa.Text, nullable=True),
        sa.Column("score", sa.Float, nullable=True),
        sa.Column("max_score", sa.Float, nullable=True),
        sa.Column("counts_attempt", sa.Boolean, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=True),
        sa.Column("pending_slot", sa.Integer, nullable=True),
        sa.Index("ix_sabaq_submission_learner", "block_id", "learner_id"),
        sa.Index("ux_sabaq_submission_attempt", "block_id", "learner_id", "attempt", unique=True),
        sa.Index("ux_sabaq_submission_pending", "block_id", "learner_id", "pending_slot", unique=True),
        sa.Index("ix_sabaq_submission_recent", "learner_id", "created"),
        sa.CheckConstraint(
            f"(state IN ({pending}) AND pending_slot = 1)"
            f" OR (state NOT IN ({pending}) AND pending_slot IS NULL)",
            name="ck_sabaq_submission_pending",
        ),
        sa.CheckConstraint("attempt IS NULL OR state <> 'error'", name="ck_sabaq_submission_attempt"),
    )
    locks = sa.Table(
        LOCK_TABLE,
        meta,
        sa.Column("learner_id", sa.String(255), primary_key=True),
        sa.Column("touched", sa.Float, nullable=False),
    )
    return table, locks


def _upgrade(engine: Any, table: Any) -> None:
    """Add ``attempt`` and ``pending_slot`` (and their indexes) to a table made by an older version."""
    import sqlalchemy as sa

    columns = {c["name"] for c in sa.inspect(engine).get_columns(TABLE)}
    if {"attempt", "pending_slot"} <= columns:
        return
    t, o = table, table.alias("o")
    same = (o.c.block_id == t.c.block_id) & (o.c.learner_id == t.c.learner_id)
    earlier = (o.c.created < t.c.created) | ((o.c.created == t.c.created) & (o.c.id <= t.c.id))
    later = (o.c.created > t.c.created) | ((o.c.created == t.c.created) & (o.c.id > t.c.id))
    counted = o.c.counts_attempt.is_(True) & (o.c.state != "error")
    try:
        with engine.begin() as conn:
            for name in ("attempt", "pending_slot"):
                if name not in columns:
                    conn.execute(sa.text(f"ALTER TABLE {TABLE} ADD COLUMN {name} INTEGER"))
            number = sa.select(sa.func.count()).where(same, counted, earlier).scalar_subquery()
            conn.execute(t.update().where(t.c.counts_attempt.is_(True), t.c.state != "error")
                         .values(attempt=number))
            newer = sa.exists().where(same, o.c.state.in_(PENDING_STATES), later)
            conn.execute(t.update().where(t.c.state.in_(PENDING_STATES), ~newer).values(pending_slot=1))
            for index in t.indexes:
                if index.name.startswith("ux_") or index.name == "ix_sabaq_submission_recent":
                    index.create(conn, checkfirst=True)
    except sa.exc.DBAPIError:  # another process upgraded it first
        again = {c["name"] for c in sa.inspect(engine).get_columns(TABLE)}
        if not {"attempt", "pending_slot"} <= again:
            raise


def _store(url: str) -> tuple[Any, Any, Any]:
    with _LOCK:
        if url in _STORES:
            return _STORES[url]
        import sqlalchemy as sa

        if url.startswith("sqlite:///"):
            from pathlib import Path

            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
            engine = sa.create_engine(url, connect_args={"timeout": 30})
        else:
            engine = sa.create_engine(url, pool_pre_ping=True)
        table, locks = _schema(sa.MetaData())
        existed = sa.inspect(engine).has_table(TABLE)
        table.metadata.create_all(engine)
        if existed:
            _upgrade(engine, table)
        _STORES[url] = (engine, table, locks)
        return _STORES[url]


def _row(row: Any) -> Submission:
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
    )


class SubmissionStore:
    """Submissions in the database at ``url`` (an SQLAlchemy URL)."""

    def __init__(self, url: str) -> None:
        self.engine, self.table, self.locks = _store(url)

    def create(
        self,
        block_id: str,
        learner_id: str,
        notebook: str,
        kind: str,
        counts_attempt: bool,
        admission: Admission | None = None,
    ) -> Submission:
        """Store a queued submission if the rules allow it, in one decision of the database.

        Raises ``NotAllowed("no_attempts")``, ``Conflict("already_grading")`` (a submission
        of this learner to this block is pending), ``Conflict("too_many_pending")`` or
        ``RateLimited``; nothing is stored then.
        """
        import sqlalchemy as sa

        rules = admission or Admission()
        for _ in range(_RETRIES):
            submission_id = uuid.uuid4().hex
            try:
                with self.engine.begin() as conn:
                    self._lock_learner(conn, learner_id)
                    now = time.time()
                    statement = self._insert(
                        submission_id, block_id, learner_id, notebook, kind, counts_attempt, rules, now
                    )
                    conn.execute(statement)  # rowcount of INSERT ... SELECT is not portable
                    if conn.execute(sa.select(self.table.c.id).where(self.table.c.id == submission_id)).first() is None:
                        raise self._refusal(conn, block_id, learner_id, counts_attempt, rules, now)
            except sa.exc.IntegrityError:
                # A concurrent submission took the pending slot or the attempt number.
                if self.pending(block_id, learner_id):
                    raise Conflict("already_grading") from None
                continue
            found = self.get(submission_id)
            assert found is not None
            return found
        raise Conflict("already_grading")

    def _lock_learner(self, conn: Any, learner_id: str) -> None:
        """Hold the learner's lock row until the transaction ends (created on first use)."""
        locks, now = self.locks, time.time()
        touched = conn.execute(locks.update().where(locks.c.learner_id == learner_id).values(touched=now))
        if touched.rowcount == 0:
            conn.execute(locks.insert().values(learner_id=learner_id, touched=now))

    def _scope(self, block_id: str, learner_id: str) -> Any:
        t = self.table
        return (t.c.block_id == block_id) & (t.c.learner_id == learner_id)

    def _insert(
        self,
        submission_id: str,
        block_id: str,
        learner_id: str,
        notebook: str,
        kind: str,
        counts_attempt: bool,
        rules: Admission,
        now: float,
    ) -> Any:
        import sqlalchemy as sa

        t = self.table
        scope = self._scope(block_id, learner_id)
        values: dict[str, Any] = {
            "id": submission_id, "block_id": block_id, "learner_id": learner_id, "kind": kind,
            "state": "queued", "task_id": "", "created": now, "updated": now, "notebook": notebook,
            "counts_attempt": counts_attempt, "pending_slot": 1,
        }
        # Typed parameters: PostgreSQL reads an untyped SELECT-list parameter as text.
        columns: list[Any] = [
            sa.cast(sa.literal(value, t.c[name].type), sa.Text() if isinstance(value, str) else t.c[name].type)
            for name, value in values.items()
        ]
        names = list(values)
        if counts_attempt:
            names.append("attempt")
            columns.append(sa.select(sa.func.coalesce(sa.func.max(t.c.attempt), 0) + 1).where(scope)
                           .scalar_subquery())
        pending_here = sa.exists().where(scope, t.c.pending_slot.is_not(None))
        conditions = [~pending_here, *self._limits(learner_id, scope, counts_attempt, rules, now)]
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
        return _row(row) if row is not None else None

    def for_learner(self, block_id: str, learner_id: str) -> list[Submission]:
        """The learner's submissions to this block, newest first."""
        t = self.table
        with self.engine.connect() as conn:
            rows = conn.execute(
                t.select().where(self._scope(block_id, learner_id)).order_by(t.c.created.desc())
            ).all()
        return [_row(r) for r in rows]

    def for_block(self, block_id: str) -> list[Submission]:
        """Every submission to this block, newest first (staff report)."""
        t = self.table
        with self.engine.connect() as conn:
            rows = conn.execute(
                t.select().where(t.c.block_id == block_id).order_by(t.c.created.desc())
            ).all()
        return [_row(r) for r in rows]

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

    def set_task(self, submission_id: str, task_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                self.table.update()
                .where(self.table.c.id == submission_id)
                .values(task_id=task_id, updated=time.time())
            )

    def mark_running(self, submission_id: str) -> None:
        t = self.table
        with self.engine.begin() as conn:
            conn.execute(
                t.update()
                .where(t.c.id == submission_id, t.c.state == "queued")
                .values(state="running", updated=time.time())
            )

    def finish(self, submission_id: str, report: dict[str, Any]) -> bool:
        """Store ``report`` if the submission is still pending; True when this call did it.

        ``report`` has been checked (``grading.checked_report``): a graded one carries finite
        numbers. A submission that could not be graded gives its attempt back.
        """
        t = self.table
        graded = report.get("status") == "graded"
        values: dict[str, Any] = {
            "state": "graded" if graded else "error",
            "report": json.dumps(report),
            "score": float(report.get("score", 0)) if graded else None,
            "max_score": float(report.get("max_score", 0)) if graded else None,
            "updated": time.time(),
            "pending_slot": None,
        }
        if not graded:
            values["attempt"] = None
        with self.engine.begin() as conn:
            result = conn.execute(
                t.update()
                .where(t.c.id == submission_id, t.c.state.in_(PENDING_STATES))
                .values(**values)
            )
        return bool(result.rowcount == 1)

    def delete(self, submission_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(self.table.delete().where(self.table.c.id == submission_id))
