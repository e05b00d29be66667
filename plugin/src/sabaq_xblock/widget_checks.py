"""The server's record of each learner's checks of each quiz widget, with atomic counting.

A check's count, answer and verdict are server-owned: the learner's page never writes them.
They live in one SQL table beside the submissions (the same store, ``database``), not in learner-scoped
XBlock fields, because an LMS reads a block's fields when a request starts and writes them
when it ends, so two checks in flight would both count from the same number. Each check here
is one conditional UPDATE on the count it read (compare and swap): parallel checks, from
threads or from processes, never use more attempts than the widget allows.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .errors import Conflict

MAX_TRIES = 50
"""Checks of one widget that may win the race before this one gives up (409)."""

@dataclass(frozen=True)
class Record:
    """One learner's checks of one widget: how many, the last answer and its verdict."""

    attempts: int = 0
    response: dict[str, Any] = field(default_factory=dict)
    result: dict[str, Any] = field(default_factory=dict)

    def traits(self) -> dict[str, Any]:
        """The widget traits this record sets on the learner's page."""
        return {"response": self.response, "attempts": self.attempts, "result": self.result}


class WidgetChecks:
    """The check records of one learner in one block, in the database at ``url``."""

    def __init__(self, url: str, block_id: str, learner_id: str) -> None:
        from . import database, tables

        self.engine = database.engine(url)
        self.table = tables.widget_check
        self.block_id = block_id
        self.learner_id = learner_id

    def _mine(self) -> Any:
        table = self.table
        return (table.c.block_id == self.block_id) & (table.c.learner_id == self.learner_id)

    def records(self) -> dict[str, Record]:
        """Every widget this learner has checked in this block: ``{model_id: Record}``."""
        import sqlalchemy as sa

        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(self.table).where(self._mine())).all()
        return {row.model_id: _record(row) for row in rows}

    def _read(self, model_id: str) -> Record | None:
        import sqlalchemy as sa

        query = sa.select(self.table).where(self._mine() & (self.table.c.model_id == model_id))
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else _record(row)

    def _create(self, model_id: str) -> None:
        import sqlalchemy as sa

        try:
            with self.engine.begin() as conn:
                conn.execute(self.table.insert().values(
                    block_id=self.block_id, learner_id=self.learner_id, model_id=model_id,
                    attempts=0, response="{}", result="{}", updated=time.time(),
                ))
        except sa.exc.IntegrityError:
            pass  # a parallel check created it first

    def check(self, model_id: str, decide: Callable[[Record], Record]) -> Record:
        """Record one more check: ``decide(current)`` returns the record after it.

        ``decide`` may raise to refuse the check (nothing is written). Its record must count
        exactly one more attempt; it is stored only if no other check was counted meanwhile,
        else ``decide`` runs again on the newer record. Raises ``Conflict("widget_busy")``
        when other checks keep winning.
        """
        current = self._read(model_id)
        if current is None:
            self._create(model_id)
        table = self.table
        for _ in range(MAX_TRIES):
            current = self._read(model_id) or Record()
            after = decide(current)
            if after.attempts != current.attempts + 1:
                raise ValueError("a check must count exactly one attempt")
            with self.engine.begin() as conn:
                won = conn.execute(
                    table.update()
                    .where(self._mine() & (table.c.model_id == model_id)
                           & (table.c.attempts == current.attempts))
                    .values(attempts=after.attempts, response=json.dumps(after.response),
                            result=json.dumps(after.result), updated=time.time())
                ).rowcount
            if won == 1:
                return after
        raise Conflict("widget_busy")


def _record(row: Any) -> Record:
    return Record(int(row.attempts), json.loads(row.response), json.loads(row.result))
