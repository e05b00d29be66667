"""The practice rate limit: how many practice runs one learner may start per window.

Each admitted run is a row of ``sabaq_practice_run`` (when it began; no code, no result).
Admission is one transaction that first locks the learner's row of ``sabaq_learner_lock`` (the
lock submissions take, see ``submissions``), then counts the learner's runs in the window and
inserts one only below the limit, so the count is exact whatever the concurrency, across
blocks and processes. Rows older than the window are deleted in the same transaction.
"""

from __future__ import annotations

import time
import uuid

from .errors import RateLimited
from .submissions import lock_learner

_RETRIES = 25


class PracticeRateLimited(RateLimited):
    """The learner started more practice runs than the deployment allows; ``retry_after`` seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(retry_after)
        self.code = "practice_rate_limited"


class PracticeRuns:
    """The practice runs admitted in the store at ``url`` (an SQLAlchemy URL)."""

    def __init__(self, url: str) -> None:
        from . import database, tables

        self.engine = database.engine(url)
        self.table = tables.practice_run

    def admit(self, learner_id: str, block_id: str, limit: int, window: float) -> str:
        """Count a new run of ``learner_id`` if fewer than ``limit`` began in the last ``window``
        seconds (``limit`` 0: no limit); its id, or ``PracticeRateLimited`` and nothing stored."""
        import sqlalchemy as sa

        from .database import is_deadlock

        t = self.table
        for _ in range(_RETRIES):
            run_id = uuid.uuid4().hex
            try:
                with self.engine.begin() as conn:
                    lock_learner(conn, learner_id)
                    now = time.time()
                    mine = t.c.learner_id == learner_id
                    conn.execute(t.delete().where(mine, t.c.created <= now - window))
                    if limit:
                        count, oldest = conn.execute(
                            sa.select(sa.func.count(), sa.func.min(t.c.created)).where(mine)).one()
                        if count >= limit:
                            raise PracticeRateLimited(float(oldest or now) + window - now)
                    conn.execute(t.insert().values(id=run_id, learner_id=learner_id, block_id=block_id,
                                                   created=now))
            except sa.exc.IntegrityError:  # two first runs created the learner's lock row at once
                continue
            except sa.exc.OperationalError as error:
                if not is_deadlock(error):
                    raise
                continue
            return run_id
        raise PracticeRateLimited(1.0)

    def refund(self, run_id: str) -> None:
        """Forget run ``run_id``: it never reached a grader (the service was down)."""
        with self.engine.begin() as conn:
            conn.execute(self.table.delete().where(self.table.c.id == run_id))

    def recent(self, learner_id: str, window: float) -> int:
        """How many runs ``learner_id`` began in the last ``window`` seconds."""
        import sqlalchemy as sa

        t = self.table
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).where(
                t.c.learner_id == learner_id, t.c.created > time.time() - window)).scalar() or 0)

