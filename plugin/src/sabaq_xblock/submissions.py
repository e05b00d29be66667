"""The submissions store: every submission, its state and its grade report.

Submissions live in one SQL table (SQLite under the data directory by default,
PostgreSQL for a large site) rather than in learner-scoped XBlock fields,
because the grader's callback and the staff report arrive outside the learner's
own context. The state machine is ``queued → running → graded | error``; the
move to a final state is one conditional UPDATE, and only the caller that wins
it publishes the score, so each graded submission is published exactly once.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

FINAL_STATES = ("graded", "error")
PENDING_STATES = ("queued", "running")

_ENGINES: dict[str, Any] = {}
_TABLES: dict[str, Any] = {}
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


def _table(url: str) -> tuple[Any, Any]:
    with _LOCK:
        if url in _ENGINES:
            return _ENGINES[url], _TABLES[url]
        import sqlalchemy as sa

        if url.startswith("sqlite:///"):
            from pathlib import Path

            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
            engine = sa.create_engine(url, connect_args={"timeout": 30})
        else:
            engine = sa.create_engine(url, pool_pre_ping=True)
        meta = sa.MetaData()
        table = sa.Table(
            "sabaq_submission",
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
            sa.Index("ix_sabaq_submission_learner", "block_id", "learner_id"),
        )
        meta.create_all(engine)
        _ENGINES[url], _TABLES[url] = engine, table
        return engine, table


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
    )


class SubmissionStore:
    """Submissions in the database at ``url`` (an SQLAlchemy URL)."""

    def __init__(self, url: str) -> None:
        self.engine, self.table = _table(url)

    def create(
        self, block_id: str, learner_id: str, notebook: str, kind: str, counts_attempt: bool
    ) -> Submission:
        now = time.time()
        values = {
            "id": uuid.uuid4().hex,
            "block_id": block_id,
            "learner_id": learner_id,
            "kind": kind,
            "state": "queued",
            "task_id": "",
            "created": now,
            "updated": now,
            "notebook": notebook,
            "report": None,
            "score": None,
            "max_score": None,
            "counts_attempt": counts_attempt,
        }
        with self.engine.begin() as conn:
            conn.execute(self.table.insert().values(**values))
        found = self.get(str(values["id"]))
        assert found is not None
        return found

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
                t.select()
                .where(t.c.block_id == block_id, t.c.learner_id == learner_id)
                .order_by(t.c.created.desc())
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
        return sum(
            1
            for sub in self.for_learner(block_id, learner_id)
            if sub.counts_attempt and sub.state != "error"
        )

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
        """Store ``report`` if the submission is still pending; True when this call did it."""
        t = self.table
        graded = report.get("status") == "graded"
        values = {
            "state": "graded" if graded else "error",
            "report": json.dumps(report),
            "score": float(report.get("score", 0)) if graded else None,
            "max_score": float(report.get("max_score", 0)) if graded else None,
            "updated": time.time(),
        }
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
