"""Manual grades: the points and comments tutors give the cells nbgrader leaves to a person.

nbgrader's formgrader, in the LMS. The grader's report lists the cells graded by hand
(``manual``, schema 1.1): a written answer (or code graded by reading it) that the learner
changed, and tasks; nbgrader itself gives an answer left as released 0 points and asks no
one to grade it, and so do we. A grade belongs to the learner's *answer*: it is keyed by
the block, the learner, the cell and the SHA-256 of what was graded (the cell's source; for
a task, every answer of the notebook), so grading the same notebook again after a test was
fixed finds every manual grade it had, and a changed answer needs grading afresh.

Two tutors never overwrite each other silently: every save names the ``revision`` of the
grade it started from (0 for a cell not graded yet) and is one conditional write; a stale
one is a ``Conflict("grade_changed")`` that carries the grade as it is now.

``settle`` is the one rule for a submission's score: the automatic part, plus the tutors'
points once every manual cell has them; until then the submission is ``waiting`` and its
score stays in the block.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import dataclass
from typing import Any

from . import notebook as nbmod
from .errors import AnswersInvalid, Conflict, RequestInvalid

WAITING, GRADED = "waiting", "graded"
MAX_COMMENT_CHARS = 10_000
MAX_RUBRIC_ITEMS = 50


@dataclass(frozen=True)
class ManualCell:
    """A cell of one submission that a tutor grades."""

    grade_id: str
    kind: str  # answer or task
    max_points: float
    source: str | None = None  # the answer as the grader matched it (report 1.2); None in older reports


@dataclass(frozen=True)
class Grade:
    """A tutor's grade of one answer."""

    grade_id: str
    points: float
    comment: str
    rubric: tuple[int, ...]
    grader: str
    updated: float
    revision: int

    def as_json(self) -> dict[str, Any]:
        return {"grade_id": self.grade_id, "points": self.points, "comment": self.comment,
                "rubric": list(self.rubric), "grader": self.grader, "updated": self.updated,
                "revision": self.revision}


def cells_to_grade(report: dict[str, Any] | None) -> list[ManualCell]:
    """The cells of a graded report that wait for a tutor's points, in notebook order."""
    if not report or report.get("status") != "graded":
        return []
    cells = []
    for item in report.get("manual") or []:
        if not isinstance(item, dict) or not isinstance(item.get("grade_id"), str):
            continue
        if item.get("needs_manual_grade", item.get("points") is None):
            source = item.get("source")
            cells.append(ManualCell(item["grade_id"], str(item.get("kind", "answer")),
                                    float(item.get("max_points", 0) or 0), source if isinstance(source, str) else None))
    return cells


def answer_keys(notebook: str, cells: list[ManualCell]) -> dict[str, str]:
    """Each cell's key: the SHA-256 of what a tutor grades in the submitted ``notebook``.

    An answer is the source the grader matched (the report's, whatever the learner did to the
    cell's metadata); a task is graded on the whole notebook, so any change of any cell makes a
    new key. Reports older than 1.2 carry no source: the cell is found by its nbgrader metadata.
    """
    try:
        nb = nbmod.load(notebook)
    except Exception:
        nb = {"cells": []}
    everything = json.dumps([[c.get("cell_type"), nbmod.source(c)] for c in nb.get("cells", [])])
    by_metadata: dict[str, str] = {}
    for cell in nb.get("cells", []):
        grade_id = nbmod.nbgrader(cell).get("grade_id")
        if isinstance(grade_id, str):
            by_metadata.setdefault(grade_id, nbmod.source(cell))
    keys = {}
    for cell in cells:
        if cell.kind == "task":
            text = everything
        else:
            text = cell.source if cell.source is not None else by_metadata.get(cell.grade_id, "")
        keys[cell.grade_id] = hashlib.sha256(f"{cell.kind}\0{text}".encode()).hexdigest()
    return keys


def settle(report: dict[str, Any] | None, grades: dict[str, Grade]) -> tuple[float, str | None]:
    """A graded report's score and manual state given the tutors' ``grades`` of its cells."""
    automatic = float((report or {}).get("score", 0) or 0)
    cells = cells_to_grade(report)
    if not cells:
        return automatic, None
    if any(cell.grade_id not in grades for cell in cells):
        return automatic, WAITING
    manual = sum(min(grades[cell.grade_id].points, cell.max_points) for cell in cells)
    return round(automatic + manual, 6), GRADED


def checked(cell: ManualCell, points: Any, comment: Any, rubric: Any, rubric_size: int) -> tuple[
        float, str, tuple[int, ...]]:
    """A tutor's grade of ``cell`` as values the store keeps, or ``AnswersInvalid`` saying why."""
    try:
        value = float(points) if isinstance(points, int | float) and not isinstance(points, bool) else math.nan
    except OverflowError:  # an integer beyond any float
        value = math.nan
    if not math.isfinite(value) or not 0 <= value <= cell.max_points:
        raise AnswersInvalid("bad_points", max_points=_number(cell.max_points))
    if not isinstance(comment, str) or len(comment) > MAX_COMMENT_CHARS:
        raise AnswersInvalid("bad_comment", limit=MAX_COMMENT_CHARS)
    if not isinstance(rubric, list) or len(rubric) > MAX_RUBRIC_ITEMS or not all(
        isinstance(i, int) and not isinstance(i, bool) and 0 <= i < rubric_size for i in rubric
    ) or len(set(rubric)) != len(rubric):
        raise AnswersInvalid("bad_rubric")
    return value, comment, tuple(sorted(rubric))


def _number(value: float) -> str:
    return f"{value:g}"


class ManualGrades:
    """The tutors' grades in the store whose engine is ``engine``."""

    def __init__(self, engine: Any) -> None:
        from . import tables

        self.engine = engine
        self.table = tables.manual_grade

    def for_answers(self, block_id: str, learner_id: str, keys: dict[str, str], conn: Any = None) -> dict[str, Grade]:
        """The grades of the answers ``keys`` ({grade_id: answer key}) of one learner (read on
        ``conn`` when given: inside the caller's transaction)."""
        if not keys:
            return {}
        t = self.table
        query = t.select().where(t.c.block_id == block_id, t.c.learner_id == learner_id,
                                 t.c.grade_id.in_(list(keys)))
        if conn is not None:
            rows = conn.execute(query).all()
        else:
            with self.engine.connect() as own:
                rows = own.execute(query).all()
        return {row.grade_id: _grade(row) for row in rows if keys.get(row.grade_id) == row.answer}

    def for_submission(self, block_id: str, learner_id: str, notebook: str,
                       report: dict[str, Any] | None, conn: Any = None) -> dict[str, Grade]:
        """The grades of a submission's manual cells that tutors have given."""
        return self.for_answers(block_id, learner_id, answer_keys(notebook, cells_to_grade(report)), conn)

    def save(self, block_id: str, learner_id: str, grade_id: str, answer: str, values: tuple[
            float, str, tuple[int, ...]], grader: str, revision: int | None) -> Grade:
        """Store a grade made from ``revision`` of the one there (0: none yet; None: whatever
        is there, for an import). A grade saved meanwhile by someone else is a ``Conflict``."""
        import sqlalchemy as sa

        t = self.table
        points, comment, rubric = values
        key = self._key(block_id, learner_id, grade_id, answer)
        row = {"points": points, "comment": comment, "rubric": json.dumps(list(rubric)), "grader": grader,
               "updated": time.time()}
        for _ in range(5 if revision is None else 1):
            seen = revision
            if seen is None:
                current = self._read(key)
                seen = current.revision if current is not None else 0
            if seen == 0:
                try:
                    with self.engine.begin() as conn:
                        conn.execute(t.insert().values(block_id=block_id, learner_id=learner_id, grade_id=grade_id,
                                                       answer=answer, revision=1, **row))
                except sa.exc.IntegrityError:
                    continue  # a first grade of this answer landed meanwhile
            else:
                with self.engine.begin() as conn:
                    moved = conn.execute(t.update().where(key, t.c.revision == seen)
                                         .values(revision=seen + 1, **row)).rowcount
                if moved != 1 and self._read(key) is None:
                    raise RequestInvalid("bad_revision")  # a revision of a grade nobody gave
                if moved != 1:
                    continue
            saved = self._read(key)
            assert saved is not None
            return saved
        now = self._read(key)
        raise Conflict("grade_changed", grader=now.grader if now else "")

    def import_grades(self, rows: list[tuple[str, str, str, str, float, str | None]], grader: str) -> int:
        """Set the grades ``rows`` give ((block, learner, cell, answer key, points, comment or None
        to keep the one there)) in one transaction: all of them or, on any failure, none. A
        grade whose points stay keeps its rubric items; a row that changes nothing is not saved.
        How many grades changed."""
        import sqlalchemy as sa

        t = self.table
        for _ in range(5):
            changed = 0
            try:
                with self.engine.begin() as conn:
                    for block_id, learner_id, grade_id, answer, points, comment in rows:
                        key = self._key(block_id, learner_id, grade_id, answer)
                        found = conn.execute(t.select().where(key)).first()
                        old = _grade(found) if found is not None else None
                        text = comment if comment is not None else (old.comment if old else "")
                        if old is not None and (old.points, old.comment) == (points, text):
                            continue
                        rubric = list(old.rubric) if old is not None and old.points == points else []
                        values = {"points": points, "comment": text, "rubric": json.dumps(rubric),
                                  "grader": grader, "updated": time.time()}
                        if old is None:
                            conn.execute(t.insert().values(block_id=block_id, learner_id=learner_id,
                                                           grade_id=grade_id, answer=answer, revision=1, **values))
                        else:
                            conn.execute(t.update().where(key).values(revision=old.revision + 1, **values))
                        changed += 1
            except sa.exc.IntegrityError:
                continue  # a tutor's first grade of one of these answers landed meanwhile: read again
            return changed
        raise Conflict("grade_changed", grader="")

    def _key(self, block_id: str, learner_id: str, grade_id: str, answer: str) -> Any:
        t = self.table
        return (t.c.block_id == block_id) & (t.c.learner_id == learner_id) & (t.c.grade_id == grade_id) & (
            t.c.answer == answer)

    def _read(self, key: Any) -> Grade | None:
        with self.engine.connect() as conn:
            row = conn.execute(self.table.select().where(key)).first()
        return _grade(row) if row is not None else None


def _grade(row: Any) -> Grade:
    return Grade(row.grade_id, float(row.points), row.comment, tuple(json.loads(row.rubric)), row.grader,
                 float(row.updated), int(row.revision))
