"""Grades in and out as CSV: nbgrader's export columns, then each cell's points and comments.

An export has one row per learner with a graded submission: the learner's latest one.
Its first columns are those of ``nbgrader export`` (``assignment, duedate, timestamp,
student_id, last_name, first_name, email, raw_score, late_submission_penalty, score,
max_score``); then, for each graded cell, ``<grade_id>`` (its points) and, for each cell
a tutor grades, ``<grade_id> comment``. A manual cell not graded yet is empty.

An import takes the same shape (only ``student_id`` is required; nbgrader's columns and the
automatically graded cells' columns are read past) and sets the manual grades it names. It
is checked whole first: a learner with no graded submission, a column that is no cell of the
assignment or names an automatically graded one with a value that differs from its score,
points that are not a number or out of the cell's range, a comment without points: every
such row is listed and nothing is imported.
"""

from __future__ import annotations

import csv
import io
import math
import time
from dataclasses import dataclass
from typing import Any

from . import i18n
from .errors import SabaqBlockError
from .manual_grades import MAX_COMMENT_CHARS, Grade, ManualCell, cells_to_grade
from .submissions import Submission

NBGRADER_COLUMNS = ("assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
                    "raw_score", "late_submission_penalty", "score", "max_score")
COMMENT = " comment"
MAX_IMPORT_BYTES = 4 * 1024 * 1024
MAX_PROBLEMS = 200


class ImportInvalid(SabaqBlockError):
    """A grades CSV that cannot be imported; ``problems`` lists every row's trouble."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("import_invalid", count=len(problems))
        self.problems = problems[:MAX_PROBLEMS]


@dataclass(frozen=True)
class Row:
    """What an export shows of one learner: their latest graded submission and its manual grades."""

    sub: Submission
    grades: dict[str, Grade]


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _tests(sub: Submission) -> dict[str, float]:
    return {str(t.get("grade_id")): float(t.get("points", 0) or 0)
            for t in (sub.report or {}).get("tests", []) if isinstance(t, dict)}


def _auto_manual(sub: Submission) -> dict[str, float]:
    """Manual cells nbgrader scored itself (an answer left as released: 0 points)."""
    return {str(m.get("grade_id")): float(m.get("points") or 0) for m in (sub.report or {}).get("manual", [])
            if isinstance(m, dict) and not m.get("needs_manual_grade", m.get("points") is None)}


def export(assignment: str, rows: list[Row]) -> str:
    """The CSV of ``rows`` for ``assignment`` (its name in the first column)."""
    tests: list[str] = []
    manual: list[str] = []
    for row in rows:
        for grade_id in [*_tests(row.sub), *_auto_manual(row.sub)]:
            if grade_id not in tests:
                tests.append(grade_id)
        for cell in cells_to_grade(row.sub.report):
            if cell.grade_id not in manual:
                manual.append(cell.grade_id)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    tests = [grade_id for grade_id in tests if grade_id not in manual]  # one column per cell
    writer.writerow([*NBGRADER_COLUMNS, *tests, *[c for g in manual for c in (g, g + COMMENT)]])
    for row in sorted(rows, key=lambda r: r.sub.learner_id):
        sub, auto = row.sub, {**_tests(row.sub), **_auto_manual(row.sub)}
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(sub.created))
        values = [assignment, "", stamp, sub.learner_id, "", "", "", _number(sub.score), "0",
                  _number(sub.score), _number(sub.max_score)]
        values += [_number(auto.get(g)) for g in tests]
        for grade_id in manual:
            grade = row.grades.get(grade_id)
            points = grade.points if grade else auto.get(grade_id)  # nbgrader's 0 for an untouched answer
            values += [_number(points), grade.comment if grade else ""]
        writer.writerow([_safe(v) for v in values])
    return out.getvalue()


def _safe(value: str) -> str:
    """A cell a spreadsheet will not run as a formula (OWASP's CSV injection advice)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(value) else value


def _unguarded(value: str) -> str:
    """A comment as it was before ``_safe`` guarded it for a spreadsheet (an export read back)."""
    return value[1:] if value[:1] == "'" and value[1:2] in ("=", "+", "-", "@", "\t", "\r") else value


def _is_number(value: str) -> bool:
    try:
        return math.isfinite(float(value))
    except ValueError:
        return False


@dataclass(frozen=True)
class Planned:
    """One manual grade an import will set."""

    sub: Submission
    cell: ManualCell
    points: float
    comment: str | None  # None: the file has no comment column for the cell (the one there stays)


def plan_import(text: str, latest: dict[str, Submission], language: str) -> list[Planned]:
    """The grades ``text`` sets on each learner's latest graded submission (``latest`` by
    learner id), or ``ImportInvalid`` listing every problem; nothing is set by this."""
    t = i18n.translator(language)
    problems: list[str] = []

    def problem(line: int, key: str, **params: Any) -> None:
        problems.append(t(i18n.IMPORT_PROBLEMS["row"]).format(row=line) + " " + t(
            i18n.IMPORT_PROBLEMS[key]).format(**params))

    csv.field_size_limit(max(csv.field_size_limit(), MAX_IMPORT_BYTES))
    rows = csv.reader(io.StringIO(text.lstrip("\ufeff")), strict=True)
    try:
        table = list(rows)
    except csv.Error as error:  # an unterminated quote, say: the file was cut or mangled
        raise ImportInvalid([t(i18n.IMPORT_PROBLEMS["row"]).format(row=rows.line_num) + " " + t(
            i18n.IMPORT_PROBLEMS["unreadable"]).format(reason=str(error)[:120])]) from None
    header = [name.strip() for name in (table[0] if table else [])]
    if "student_id" not in header or len(set(header)) != len(header):
        raise ImportInvalid([t(i18n.IMPORT_PROBLEMS["no_student_id"])])
    planned: list[Planned] = []
    seen: set[str] = set()
    for line, values in enumerate(table[1:], start=2):
        if not any(v.strip() for v in values):
            continue
        if any(v.strip() for v in values[len(header):]):
            problem(line, "too_many_values", count=len(values), columns=len(header))
            continue
        record = dict(zip(header, values, strict=False))
        learner = record.get("student_id", "").strip()
        sub = latest.get(learner)
        if learner in seen:
            problem(line, "twice", learner=learner)
            continue
        seen.add(learner)
        if sub is None:
            problem(line, "unknown_learner", learner=learner)
            continue
        manual = {cell.grade_id: cell for cell in cells_to_grade(sub.report)}
        auto = {**_tests(sub), **_auto_manual(sub)}
        for name, raw in record.items():
            value = raw.strip()
            grade_id = name.removesuffix(COMMENT)
            if name in NBGRADER_COLUMNS or (not value and name.endswith(COMMENT)):
                continue
            if grade_id in auto and grade_id not in manual:
                if name == grade_id and value and not (_is_number(value) and abs(float(value) - auto[grade_id]) < 1e-9):
                    problem(line, "automatic_cell", cell=grade_id)
                continue
            if grade_id not in manual:
                problem(line, "unknown_cell", cell=grade_id)
                continue
            if name.endswith(COMMENT) or not value:
                continue
            cell = manual[grade_id]
            if not _is_number(value) or not 0 <= float(value) <= cell.max_points:
                problem(line, "bad_points", cell=grade_id, value=value[:40], max_points=f"{cell.max_points:g}")
                continue
            comment = _unguarded(record[grade_id + COMMENT]) if grade_id + COMMENT in record else None
            if comment is not None and len(comment) > MAX_COMMENT_CHARS:
                problem(line, "long_comment", cell=grade_id, limit=MAX_COMMENT_CHARS)
                continue
            planned.append(Planned(sub, cell, float(value), comment))
        for name, raw in record.items():
            grade_id = name.removesuffix(COMMENT)
            if name.endswith(COMMENT) and raw.strip() and grade_id in manual and not record.get(grade_id, "").strip():
                problem(line, "comment_without_points", cell=grade_id)
    if problems:
        raise ImportInvalid(problems)
    return planned
