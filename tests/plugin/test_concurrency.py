"""Parallel submissions: the database alone decides attempts, the pending slot and the learner's caps.

Each test fires a bounded burst of threads that start together (a barrier) through the real
store, on SQLite, the machine's PostgreSQL and MariaDB, and through HTTP against the real workbench.
"""

from __future__ import annotations

import itertools
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from legacy_schema import first_columns
from servers import Client

from sabaq_contract import settings as deployment
from sabaq_xblock import i18n
from sabaq_xblock.backend import CeleryBackend
from sabaq_xblock.errors import SabaqBlockError
from sabaq_xblock.lifecycle import Lifecycle
from sabaq_xblock.submissions import Admission, SubmissionStore

BURST = 16
GRADED = {"status": "graded", "score": 1.0, "max_score": 1.0, "tests": []}
FAILED = {"status": "error", "score": 0, "max_score": 0, "error": {"kind": "timeout", "message": "m"}}


@pytest.fixture
def finish(tmp_path: Path) -> Callable[[SubmissionStore, str, dict[str, Any]], bool]:
    """Finish a submission the way the grader's callback does (the lifecycle's only final move)."""
    settings = deployment.load({"DATA_DIR": str(tmp_path / "queue")})

    def done(store: SubmissionStore, submission_id: str, report: dict[str, Any]) -> bool:
        try:
            Lifecycle(store, CeleryBackend(settings), settings).finish(submission_id, "", report, None)
        except SabaqBlockError:
            return False
        return True

    return done


def _burst(action: Callable[[int], Any], count: int = BURST) -> list[Any]:
    """Run ``action(i)`` in ``count`` threads released at the same moment; results or error codes."""
    barrier = threading.Barrier(count)

    def run(i: int) -> Any:
        barrier.wait()
        try:
            return action(i)
        except SabaqBlockError as error:
            return error.code

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def _stored(results: list[Any]) -> list[Any]:
    return [r for r in results if not isinstance(r, str)]


def test_one_pending_submission_whatever_the_concurrency(db_url: str) -> None:
    store = SubmissionStore(db_url)
    results = _burst(lambda i: store.create("b1", "ali", f'{{"i": {i}}}', "submit", True,
                                            Admission(max_attempts=5)))
    assert len(_stored(results)) == 1, Counter(map(str, results))
    assert set(r for r in results if isinstance(r, str)) == {"already_grading"}
    subs = store.for_learner("b1", "ali")
    assert len(subs) == 1 and subs[0].state == "queued" and subs[0].attempt == 1
    assert store.attempts_used("b1", "ali") == 1


def test_attempt_limit_is_never_exceeded(db_url: str, finish: Any) -> None:
    store = SubmissionStore(db_url)
    rules = Admission(max_attempts=2)
    seen: list[Any] = []
    for _round in range(4):
        results = _burst(lambda i: store.create("b2", "sara", "{}", "submit", True, rules))
        seen.extend(results)
        for sub in _stored(results):
            assert finish(store, sub.id, GRADED)
        assert store.attempts_used("b2", "sara") <= 2
    subs = store.for_learner("b2", "sara")
    assert len(subs) == 2 and sorted(s.attempt for s in subs) == [1, 2]
    assert seen[-BURST:] == ["no_attempts"] * BURST


def test_a_submission_that_could_not_be_graded_gives_its_attempt_back(db_url: str, finish: Any) -> None:
    store = SubmissionStore(db_url)
    rules = Admission(max_attempts=1)
    first = store.create("b3", "omar", "{}", "submit", True, rules)
    assert finish(store, first.id, FAILED)
    assert store.get(first.id).attempt is None  # type: ignore[union-attr]
    results = _burst(lambda i: store.create("b3", "omar", "{}", "submit", True, rules))
    assert len(_stored(results)) == 1
    assert store.attempts_used("b3", "omar") == 1


def test_regrades_use_no_attempt_but_respect_the_pending_slot(db_url: str, finish: Any) -> None:
    store = SubmissionStore(db_url)
    graded = store.create("b4", "zara", "{}", "submit", True, Admission(max_attempts=1))
    assert finish(store, graded.id, GRADED)
    results = _burst(lambda i: store.create("b4", "zara", "{}", "regrade", False))
    assert len(_stored(results)) == 1 and _stored(results)[0].attempt is None
    assert store.attempts_used("b4", "zara") == 1


def test_learner_pending_cap_spans_blocks(db_url: str) -> None:
    store = SubmissionStore(db_url)
    results = _burst(lambda i: store.create(f"block-{i}", "bilal", "{}", "upload", True,
                                            Admission(max_pending=2)))
    assert len(_stored(results)) == 2
    assert Counter(r for r in results if isinstance(r, str)) == {"too_many_pending": BURST - 2}


def test_rate_limit_spans_blocks(db_url: str) -> None:
    store = SubmissionStore(db_url)
    results = _burst(lambda i: store.create(f"block-{i}", "hina", "{}", "submit", True,
                                            Admission(rate_limit=3, rate_window=60)))
    assert len(_stored(results)) == 3
    assert Counter(r for r in results if isinstance(r, str)) == {"rate_limited": BURST - 3}
    other = store.create("block-0", "not-hina", "{}", "submit", True, Admission(rate_limit=3))
    assert other.state == "queued"


def _old_table(url: str) -> None:
    """The table as ``create_all`` made it before attempt numbers, with rows the race left
    (two pending submissions of one learner)."""
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    old = sa.Table(
        "sabaq_submission", meta,
        *first_columns(),
        sa.Index("ix_sabaq_submission_learner", "block_id", "learner_id"),
    )
    meta.create_all(engine)
    rows = [("a", "graded", True, 1.0), ("b", "error", True, 2.0), ("c", "graded", False, 3.0),
            ("d", "queued", True, 4.0), ("e", "queued", True, 5.0)]
    with engine.begin() as conn:
        for sid, state, counts, created in rows:
            conn.execute(old.insert().values(
                id=sid, block_id="old", learner_id="nida", kind="submit" if counts else "regrade",
                state=state, task_id="t", created=created, updated=created, notebook="{}",
                counts_attempt=counts))
    engine.dispose()


def test_a_table_from_the_previous_version_is_upgraded_in_place(db_url: str, finish: Any) -> None:
    _old_table(db_url)
    store = SubmissionStore(db_url)
    subs = {s.id: s for s in store.for_learner("old", "nida")}
    assert {k: s.attempt for k, s in subs.items()} == {"a": 1, "b": None, "c": None, "d": 2, "e": 3}
    assert store.attempts_used("old", "nida") == 3
    assert store.pending("old", "nida")
    results = _burst(lambda i: store.create("old", "nida", "{}", "submit", True, Admission(max_attempts=9)))
    assert _stored(results) == []
    for sid in ("d", "e"):
        assert finish(store, sid, GRADED)
    assert store.create("old", "nida", "{}", "submit", True, Admission(max_attempts=9)).attempt == 4
    names = {ix["name"] for ix in sa.inspect(store.engine).get_indexes("sabaq_submission")}
    assert {"ux_sabaq_submission_attempt", "ux_sabaq_submission_pending"} <= names


@pytest.mark.slow
def test_parallel_submits_over_http_store_one_and_never_pass_the_attempt_limit(
    live: dict[str, Any],
) -> None:
    learner = Client(live["base"], f"burst-{uuid.uuid4().hex[:8]}")
    usage = learner.usage_id(live["scenario"])  # max_attempts=3
    answers = {"answers": {"add": "def add(a, b):\n    return a + b"}}
    staff = Client(live["base"], "staff-burst")
    staff.usage_id(live["scenario"])
    accepted: list[dict[str, Any]] = []
    for _round in range(6):
        results = _burst(lambda i: learner.post(usage, "submit", answers), count=12)
        assert all(status in (200, 403, 409) for status, _ in results), results
        accepted += [data for status, data in results if status == 200]
        _, report = staff.post(usage, "learner_report", {"learner_id": learner.student})
        pending = [s for s in report["submissions"] if s["state"] in ("queued", "running")]
        assert len(pending) <= 1 and len(report["submissions"]) <= 3, report
        for data in accepted[-1:]:
            learner.wait_final(usage, data["submission_id"])
    assert len(accepted) == 3, accepted
    # The worker may grade one submission while the burst is still arriving, so a burst can
    # store more than one: but never two pending at once.
    store = SubmissionStore(f"sqlite:///{live['root'] / 'sabaq' / 'submissions.sqlite'}")
    subs = sorted(store.for_learner(str(usage), learner.student), key=lambda s: s.created)
    assert [s.state for s in subs] == ["graded"] * 3 and [s.attempt for s in subs] == [1, 2, 3]
    for earlier, later in itertools.pairwise(subs):
        assert later.created >= earlier.updated, "two submissions were pending at once"
    _, final = learner.post(usage, "status", {})
    assert final["attempts_used"] == 3
    status, data = learner.post(usage, "submit", answers)
    assert status == 403 and data == {"error": i18n.error_message("no_attempts")}
