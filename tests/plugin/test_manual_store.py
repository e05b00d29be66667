"""Manual grades in the real store (SQLite, PostgreSQL, MariaDB): a stale save never wins, the score
settles in one place and is published once whatever the concurrency, and rows older than manual
grading keep the score they were published with."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from test_concurrency import _burst

from sabaq_contract import settings as deployment
from sabaq_xblock.backend import CeleryBackend
from sabaq_xblock.lifecycle import Lifecycle
from sabaq_xblock.manual_grades import GRADED, WAITING, answer_keys, cells_to_grade, settle
from sabaq_xblock.submissions import SubmissionStore

BURST = 12
NOTEBOOK = json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
    {"cell_type": "markdown", "metadata": {"nbgrader": {"grade_id": "why", "solution": True, "grade": True,
                                                        "points": 2}}, "source": "Because."},
    {"cell_type": "markdown", "metadata": {"nbgrader": {"grade_id": "how", "solution": True, "grade": True,
                                                        "points": 3}}, "source": "Like this."},
]})
REPORT = {"schema_version": 1, "status": "graded", "score": 1.0, "max_score": 6.0, "needs_manual_grade": True,
          "tests": [{"grade_id": "t", "points": 1.0, "max_points": 1.0, "passed": True}],
          "manual": [{"grade_id": "why", "max_points": 2.0, "answered": True, "kind": "answer", "points": None,
                      "needs_manual_grade": True},
                     {"grade_id": "how", "max_points": 3.0, "answered": True, "kind": "answer", "points": None,
                      "needs_manual_grade": True}],
          "timings": {"total_ms": 1.0}}


@pytest.fixture
def lifecycle(db_url: str, tmp_path: Path) -> Lifecycle:
    settings = deployment.load({"DATA_DIR": str(tmp_path / "queue")})
    return Lifecycle(SubmissionStore(db_url), CeleryBackend(settings), settings)


def _graded(lifecycle: Lifecycle, learner: str = "ali", notebook: str = NOTEBOOK) -> str:
    sub = lifecycle.store.create("b", learner, notebook, "submit", True, token="t1")
    lifecycle.finish(sub.id, "t1", REPORT, None)
    return sub.id


def test_a_submission_with_manual_cells_waits_unpublished(lifecycle: Lifecycle) -> None:
    sub = lifecycle.store.get(_graded(lifecycle))
    assert sub is not None and (sub.manual, sub.score, sub.published) == (WAITING, 1.0, None)
    assert lifecycle.store.unpublished() == []  # the reconciler leaves it alone


def test_of_concurrent_first_grades_exactly_one_wins(lifecycle: Lifecycle) -> None:
    sub_id = _graded(lifecycle)
    key = answer_keys(NOTEBOOK, cells_to_grade(REPORT))["why"]
    results = _burst(lambda i: lifecycle.manual.save("b", "ali", "why", key, (float(i % 3), f"c{i}", ()),
                                                     f"tutor{i}", 0), BURST)
    saved = [r for r in results if not isinstance(r, str)]
    assert len(saved) == 1 and results.count("grade_changed") == BURST - 1
    grades = lifecycle.manual.for_submission("b", "ali", NOTEBOOK, REPORT)
    assert grades["why"].comment == saved[0].comment and grades["why"].revision == 1
    # saves that each start from the grade they read, one after the other, all land in turn
    for n in range(1, 4):
        assert lifecycle.manual.save("b", "ali", "why", key, (1.0, "again", ()), "t", n).revision == n + 1
    assert lifecycle.store.get(sub_id).manual == WAITING  # type: ignore[union-attr]


def test_the_last_grades_landing_together_publish_the_score_once(lifecycle: Lifecycle) -> None:
    sub_id = _graded(lifecycle)
    keys = answer_keys(NOTEBOOK, cells_to_grade(REPORT))
    published: list[Any] = []
    lock = threading.Lock()

    def record(sub: Any) -> None:
        with lock:
            published.append((sub.id, sub.score))

    def grade(i: int) -> Any:
        cell = ("why", "how")[i % 2]
        lifecycle.manual.save("b", "ali", cell, keys[cell], (2.0, "", ()), f"tutor{i}", None)
        return lifecycle.settle_learner("b", "ali", record)

    _burst(grade, 8)
    assert published == [(sub_id, 5.0)]
    sub = lifecycle.store.get(sub_id)
    assert sub is not None and (sub.manual, sub.score, sub.published) == (GRADED, 5.0, True)


def test_grades_belong_to_answers_and_are_found_again_by_a_new_grading(lifecycle: Lifecycle) -> None:
    _graded(lifecycle)
    keys = answer_keys(NOTEBOOK, cells_to_grade(REPORT))
    for cell, points in (("why", 2.0), ("how", 1.5)):
        lifecycle.manual.save("b", "ali", cell, keys[cell], (points, "", ()), "t", 0)
    lifecycle.settle_learner("b", "ali", None)
    again = lifecycle.store.get(_graded(lifecycle))  # the same notebook graded again
    assert again is not None and (again.manual, again.score, again.published) == (GRADED, 4.5, False)
    other = lifecycle.store.get(_graded(lifecycle, "bea"))  # another learner's identical answers are theirs
    assert other is not None and other.manual == WAITING
    edited = NOTEBOOK.replace("Like this.", "Like that.")
    changed = lifecycle.store.get(_graded(lifecycle, notebook=edited))
    assert changed is not None and changed.manual == WAITING  # "how" changed: it needs its tutor again
    assert set(lifecycle.manual.for_submission("b", "ali", edited, REPORT)) == {"why"}


def test_settling_follows_nbgraders_rules() -> None:
    assert settle(REPORT, {}) == (1.0, WAITING)
    unchanged = {**REPORT, "manual": [{**m, "points": 0.0, "needs_manual_grade": False} for m in REPORT["manual"]],
                 "needs_manual_grade": False}
    assert settle(unchanged, {}) == (1.0, None)  # answers left as released score 0, no tutor needed
    assert settle({**REPORT, "status": "error"}, {}) == (1.0, None)
