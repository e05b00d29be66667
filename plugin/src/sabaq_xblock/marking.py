"""What a tutor sees to grade a submission: the queue, and one submission's marking sheet.

The sheet puts the learner's answer to each manually graded cell (Markdown rendered and
sanitized, code highlighted) beside the lecturer's model answer and rubric, both taken from
the instructor notebook the submission was graded against. A rubric is the cell's
``metadata.sabaq.rubric``: a list of ``{"points": number, "description": text}``; malformed
items are left out (``sabaq validate`` reports them). In anonymous mode (the default) the
queue names learners by a pseudonym and its order is shuffled, differently for each tutor
but the same on every visit, so "next" means the same submission to the same tutor.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from typing import Any

from . import notebook as nbmod
from .manual_grades import GRADED, WAITING, Grade, ManualCell, cells_to_grade
from .submissions import Submission, latest_graded

_MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[^\n]*\n?", re.M)
MAX_RUBRIC_TEXT = 500


@dataclass(frozen=True)
class RubricItem:
    points: float
    description: str


def rubric(cell: nbmod.Cell | None) -> list[RubricItem]:
    """The rubric items the lecturer gave ``cell`` (``metadata.sabaq.rubric``)."""
    sabaq = ((cell or {}).get("metadata") or {}).get("sabaq")
    items = sabaq.get("rubric") if isinstance(sabaq, dict) else None
    out = []
    for item in items if isinstance(items, list) else []:
        points = item.get("points") if isinstance(item, dict) else None
        text = item.get("description") if isinstance(item, dict) else None
        if (isinstance(points, int | float) and not isinstance(points, bool) and math.isfinite(points)
                and isinstance(text, str) and text.strip()):
            out.append(RubricItem(float(points), text.strip()[:MAX_RUBRIC_TEXT]))
    return out


def pseudonym(block_id: str, learner_id: str, secret: str) -> str:
    """The name a learner goes by in anonymous grading: stable, and without the site's ``secret``
    not traceable to the learner's id (BLAKE2's keyed mode, a MAC: not a plain hash of a small integer)."""
    key = hashlib.sha512(secret.encode()).digest()  # BLAKE2b takes a key of at most 64 bytes
    return hashlib.blake2b(f"sabaq-marking\0{block_id}\0{learner_id}".encode(), key=key, digest_size=6).hexdigest()


def queue(subs: list[Submission], block_id: str, grader: str, anonymous: bool, secret: str) -> list[dict[str, Any]]:
    """The submissions with manually graded cells, waiting ones first, in marking order."""
    rows = [sub for sub in latest_graded(subs).values() if sub.manual in (WAITING, GRADED)]
    if anonymous:
        order = {sub.id: hashlib.sha256(f"{grader}\0{sub.id}".encode()).hexdigest() for sub in rows}
        rows.sort(key=lambda sub: (sub.manual != WAITING, order[sub.id]))
    else:
        rows.sort(key=lambda sub: (sub.manual != WAITING, sub.created))
    return [{"submission_id": sub.id, "label": label(sub, anonymous, secret), "manual": sub.manual,
             "score": sub.score, "max_score": sub.max_score, "submitted": sub.created} for sub in rows]


def label(sub: Submission, anonymous: bool, secret: str) -> str:
    return pseudonym(sub.block_id, sub.learner_id, secret) if anonymous else sub.learner_id


def cells_by_id(text: str | None) -> dict[str, nbmod.Cell]:
    try:
        nb = nbmod.load(text or "")
    except Exception:
        return {}
    out: dict[str, nbmod.Cell] = {}
    for cell in nb["cells"]:
        grade_id = nbmod.nbgrader(cell).get("grade_id")
        if isinstance(grade_id, str):
            out.setdefault(grade_id, cell)
    return out


def _shown(cell: nbmod.Cell | None, model: bool = False) -> str:
    """A cell's source as the page shows it: Markdown rendered and sanitized, code highlighted."""
    from .render import highlight, markdown_to_html

    if cell is None:
        return ""
    text = nbmod.source(cell)
    if model:
        text = _MARKERS.sub("", text)
    if cell.get("cell_type") == "markdown":
        return markdown_to_html(text)
    return highlight(text)


def sheet(sub: Submission, instructor: str | None, grades: dict[str, Grade], anonymous: bool,
          secret: str) -> dict[str, Any]:
    """One submission's marking sheet: every cell a tutor grades, with the grade it has."""
    answers, models = cells_by_id(sub.notebook), cells_by_id(instructor)
    cells = []
    for cell in cells_to_grade(sub.report):
        model = models.get(cell.grade_id)
        cells.append({
            "grade_id": cell.grade_id,
            "kind": cell.kind,
            "max_points": cell.max_points,
            "answer_html": _answer(cell, answers, model),
            "model_html": _shown(model, model=True),
            "rubric": [{"points": item.points, "description": item.description} for item in rubric(model)],
            "grade": grades[cell.grade_id].as_json() if cell.grade_id in grades else None,
        })
    automatic = float((sub.report or {}).get("score", 0) or 0)
    return {"submission_id": sub.id, "label": label(sub, anonymous, secret), "anonymous": anonymous,
            "manual": sub.manual, "automatic": automatic, "score": sub.score, "max_score": sub.max_score,
            "cells": cells}


def _answer(cell: ManualCell, answers: dict[str, nbmod.Cell], model: nbmod.Cell | None) -> str:
    if cell.kind != "task":
        found = answers.get(cell.grade_id)
        if cell.source is not None:  # what was graded, as the grader matched it (report 1.2), in the model's type
            found = {"cell_type": (model or found or {}).get("cell_type", "markdown"), "source": cell.source}
        return _shown(found)
    # a task is graded on the learner's whole work: every answer cell, in notebook order
    return "".join(_shown(answer) for answer in answers.values() if nbmod.nbgrader(answer).get("solution"))
