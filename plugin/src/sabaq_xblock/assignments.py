"""What a submission is graded against, stored once per version: so a run can be queued
again (by the reconciler, outside any request) with nothing but the store.

A version is the instructor notebook, its data files (base64) and the lecturer's limits;
its key is the SHA-256 of the three.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Assignment:
    """One version of a block's assignment, as the grader needs it."""

    instructor: str
    files: dict[str, str] = field(default_factory=dict)
    limits: dict[str, int] = field(default_factory=dict)

    @property
    def checksum(self) -> str:
        text = json.dumps([self.instructor, sorted(self.files.items()), sorted(self.limits.items())])
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Assignments:
    """The versions in the store whose engine is ``engine``."""

    def __init__(self, engine: Any) -> None:
        from . import tables

        self.engine = engine
        self.table = tables.assignment

    def save(self, assignment: Assignment) -> str:
        """Store ``assignment`` unless it is there already; its checksum."""
        import sqlalchemy as sa

        key, t = assignment.checksum, self.table
        with self.engine.connect() as conn:
            if conn.execute(sa.select(t.c.checksum).where(t.c.checksum == key)).first() is not None:
                return key
        try:
            with self.engine.begin() as conn:
                conn.execute(t.insert().values(
                    checksum=key, instructor=assignment.instructor, files=json.dumps(assignment.files),
                    limits=json.dumps(assignment.limits), created=time.time()))
        except sa.exc.IntegrityError:
            pass  # a parallel submission stored the same version first
        return key

    def get(self, checksum: str) -> Assignment | None:
        import sqlalchemy as sa

        t = self.table
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t).where(t.c.checksum == checksum)).first()
        if row is None:
            return None
        return Assignment(row.instructor, json.loads(row.files), json.loads(row.limits))
