"""A submission's lifecycle on every store: leases, the reconciler, and scores published once.

The queue is real: the block's Celery backend on the embedded broker and result backend.
Where a worker's part is played by the test, it writes what a worker writes (a task result
in the result backend, a signed callback's message to the lifecycle); one test runs a real
worker whose callbacks cannot reach the block.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import notebooks
import pytest
import servers

from sabaq_contract import settings as deployment
from sabaq_contract.settings import VISIBILITY_MARGIN
from sabaq_xblock.assignments import Assignment
from sabaq_xblock.backend import CeleryBackend, _celery_app
from sabaq_xblock.errors import Conflict
from sabaq_xblock.grading import GradingService
from sabaq_xblock.lifecycle import Lifecycle, Reconciled
from sabaq_xblock.submissions import Submission, SubmissionStore

GRADED = {"schema_version": 1, "status": "graded", "score": 2.0, "max_score": 3.0, "tests": []}
ASSIGNMENT = Assignment(json.dumps(notebooks.instructor()), {}, {"max_cells": 100, "max_notebook_bytes": 10**6})
RIGHT = {"add": "def add(a, b):\n    return a + b"}


class Published:
    """A publisher that records every score it lets out (and can be told to fail)."""

    def __init__(self) -> None:
        self.scores: list[tuple[str, float | None]] = []
        self.failing = False
        self._lock = threading.Lock()

    def __call__(self, sub: Submission) -> None:
        if self.failing:
            raise RuntimeError("the LMS is down")
        with self._lock:
            self.scores.append((sub.id, sub.score))


def _settings(tmp_path: Path, db_url: str, **more: str) -> deployment.Settings:
    return deployment.load({"DATA_DIR": str(tmp_path / "queue"), "SUBMISSIONS_DB": db_url, **more}, {})


def _lifecycle(settings: deployment.Settings) -> Lifecycle:
    return Lifecycle(SubmissionStore(settings.submissions_db), CeleryBackend(settings), settings)


def _submit(life: Lifecycle, learner: str = "ali", callback: str | None = None) -> Submission:
    from sabaq_xblock import limits, notebook

    text = limits.serialise(notebook.fill_answers(notebooks.student(), RIGHT))
    return life.submit("block", learner, text, "submit", ASSIGNMENT, callback, None)


def _task_result(settings: deployment.Settings, task_id: str, result: Any, state: str = "SUCCESS") -> None:
    """What a worker leaves in the result backend when its task ends."""
    _celery_app(settings).backend.store_result(task_id, result, state)


def test_the_first_run_is_queued_under_its_token(tmp_path: Path, db_url: str) -> None:
    settings = _settings(tmp_path, db_url)
    life = _lifecycle(settings)
    sub = _submit(life)
    assert (sub.state, sub.runs, sub.published, sub.started) == ("queued", 1, None, None)
    assert len(sub.task_id) == 32 and sub.leased is not None and sub.assignment == ASSIGNMENT.checksum
    assert life.backend.poll(sub.task_id).state == "queued"
    assert life.assignments.get(ASSIGNMENT.checksum) == ASSIGNMENT


def test_a_late_result_of_a_superseded_run_is_refused(tmp_path: Path, db_url: str) -> None:
    settings = _settings(tmp_path, db_url, QUEUE_TIMEOUT="0")
    life, published = _lifecycle(settings), Published()
    old = _submit(life)
    done = life.reconcile(published, grace=0)
    assert done.requeued == [old.id] and done.finished == []
    new = life.store.get(old.id)
    assert new is not None and new.task_id != old.task_id and new.runs == 2 and new.state == "queued"
    with pytest.raises(Conflict) as late:
        life.start(old.id, old.task_id)
    assert (late.value.code, late.value.status) == ("callback_stale", 410)  # its worker grades nothing
    with pytest.raises(Conflict):
        life.finish(old.id, old.task_id, GRADED, published)
    _task_result(settings, old.task_id, GRADED)  # the superseded task's result is never read
    assert life.store.get(old.id) == new and published.scores == []
    life.start(old.id, new.task_id)
    life.start(old.id, new.task_id)  # the same run delivered again starts again
    assert life.finish(old.id, new.task_id, GRADED, published).state == "graded"
    assert published.scores == [(old.id, 2.0)]
    again = life.reconcile(published, grace=0)
    assert (again.finished, again.requeued, again.published) == ([], [], [])
    assert published.scores == [(old.id, 2.0)]


def test_the_reconciler_finishes_a_run_whose_callback_was_lost(tmp_path: Path, db_url: str) -> None:
    settings = _settings(tmp_path, db_url)
    life, published = _lifecycle(settings), Published()
    sub = _submit(life)
    _task_result(settings, sub.task_id, GRADED)
    assert life.reconcile(published, grace=60).finished == []  # callbacks get their chance first
    assert life.reconcile(published, grace=0).finished == [sub.id]
    assert life.reconcile(published, grace=0).finished == []
    assert published.scores == [(sub.id, 2.0)]
    with pytest.raises(Conflict) as late:  # the callback arrives after all
        life.finish(sub.id, sub.task_id, GRADED, published)
    assert late.value.code == "already_final" and published.scores == [(sub.id, 2.0)]


def test_a_task_that_failed_or_returned_garbage_is_a_grading_error(tmp_path: Path, db_url: str) -> None:
    """A run past the grading limit, or one that returned garbage, is a final error at once; a task
    that failed around its grading (the worker could not store its result, say) is graded again,
    and is an error, with the failure's words, once MAX_RUNS runs have failed."""
    from celery.exceptions import TimeLimitExceeded

    settings = _settings(tmp_path, db_url, MAX_RUNS="2")
    life, published = _lifecycle(settings), Published()
    crashed, garbage, timed_out = _submit(life, "ali"), _submit(life, "sara"), _submit(life, "omar")
    _task_result(settings, crashed.task_id, RuntimeError("worker exploded"), "FAILURE")
    _task_result(settings, garbage.task_id, {"status": "graded", "score": "lots"})
    _task_result(settings, timed_out.task_id, TimeLimitExceeded(20), "FAILURE")
    first = life.reconcile(published, grace=0)
    assert sorted(first.finished) == sorted([garbage.id, timed_out.id]) and first.requeued == [crashed.id]
    rerun = life.store.get(crashed.id)
    assert rerun is not None and rerun.runs == 2
    _task_result(settings, rerun.task_id, RuntimeError("worker exploded"), "FAILURE")
    assert life.reconcile(published, grace=0).given_up == [crashed.id]
    for sub_id, words in ((crashed.id, "worker exploded"), (garbage.id, "malformed"), (timed_out.id, "TimeLimit")):
        sub = life.store.get(sub_id)
        assert sub is not None and sub.state == "error" and sub.attempt is None
        assert sub.report is not None and sub.report["error"]["kind"] == "grader_failure"
        assert words in sub.report["error"]["message"], sub.report
    assert published.scores == []


def test_a_submission_no_grader_finishes_is_an_error_after_max_runs(tmp_path: Path, db_url: str) -> None:
    settings = _settings(tmp_path, db_url, QUEUE_TIMEOUT="0", MAX_RUNS="2")
    life, published = _lifecycle(settings), Published()
    sub = _submit(life)
    assert life.reconcile(published, grace=0).requeued == [sub.id]
    assert life.reconcile(published, grace=0).given_up == [sub.id]
    final = life.store.get(sub.id)
    assert final is not None and final.state == "error" and final.runs == 2
    assert final.report is not None and final.report["error"] == {
        "kind": "grader_failure", "message": "no grader finished this submission in 2 runs"}
    assert life.store.pending("block", "ali") is False


def _queued_at(life: Lifecycle, sub: Submission, leased: float) -> None:
    t = life.store.table
    with life.store.engine.begin() as conn:
        conn.execute(t.update().where(t.c.id == sub.id).values(leased=leased, updated=leased))


def _behind_a_started_run(life: Lifecycle, first_ago: float, later_ago: float) -> tuple[Submission, Submission]:
    """Two submissions queued ``first_ago`` and ``later_ago`` seconds ago; the later one has started."""
    first, later = _submit(life, "first"), _submit(life, "later")
    t0 = time.time()
    _queued_at(life, first, t0 - first_ago)
    _queued_at(life, later, t0 - later_ago)
    life.start(later.id, later.task_id)
    return first, later


def test_a_long_queue_that_moves_is_not_mistaken_for_lost_runs(tmp_path: Path, db_url: str) -> None:
    """Waiting longer than QUEUE_TIMEOUT is no evidence while the workers are still getting
    through what was queued before: nothing is queued again, nobody's attempt runs out."""
    settings = _settings(tmp_path, db_url, QUEUE_TIMEOUT="100", VISIBILITY_MARGIN="10", MAX_RUNS="1")
    life, published = _lifecycle(settings), Published()
    ahead, waiting = _submit(life, "ahead"), _submit(life, "waiting")
    t0 = time.time()
    _queued_at(life, ahead, t0 - 500)
    _queued_at(life, waiting, t0 - 400)
    life.start(ahead.id, ahead.task_id)  # started just now: the queue moves, and has not reached it
    assert life.reconcile(published, grace=0) == Reconciled([], [], [], [])
    assert life.store.get(waiting.id).state == "queued"  # type: ignore[union-attr]


def test_a_run_queued_before_one_that_started_is_lost(tmp_path: Path, db_url: str) -> None:
    """The queue is first in, first out: a run still unstarted when one queued after it (by more
    than VISIBILITY_MARGIN) has reached a worker was lost, and is queued again at once, long
    before QUEUE_TIMEOUT."""
    settings = _settings(tmp_path, db_url, QUEUE_TIMEOUT="3600", VISIBILITY_MARGIN="10")
    life, published = _lifecycle(settings), Published()
    lost, later = _behind_a_started_run(life, 60, 55)
    assert life.reconcile(published, grace=0).requeued == []  # 5 s apart: within the margin
    _queued_at(life, later, time.time() - 30)
    assert life.reconcile(published, grace=0).requeued == [lost.id]
    again = life.store.get(lost.id)
    assert again is not None and (again.state, again.runs) == ("queued", 2)


def test_a_run_the_queue_says_started_is_recorded_running_not_lost(tmp_path: Path, db_url: str) -> None:
    """Its started callback is late or lost (callbacks off, failing, or still in the worker's
    outbox): the result backend's STARTED is what the reconciler goes by, and a later run's
    progress is then no evidence against it."""
    settings = _settings(tmp_path, db_url, QUEUE_TIMEOUT="3600", VISIBILITY_MARGIN="10")
    life, published = _lifecycle(settings), Published()
    slow, _later = _behind_a_started_run(life, 200, 100)
    _task_result(settings, slow.task_id, {"pid": 1, "hostname": "worker@host"}, state="STARTED")
    assert life.reconcile(published, grace=0).requeued == []
    running = life.store.get(slow.id)
    assert running is not None and (running.state, running.runs) == ("running", 1)
    assert life.reconcile(published, grace=0).requeued == []  # nor later: it has started


def test_a_row_stamped_in_the_future_is_no_evidence(tmp_path: Path, db_url: str) -> None:
    """A host whose clock runs fast stamped a graded row ahead of now: every fresh submission
    would look overtaken by it."""
    settings = _settings(tmp_path, db_url, QUEUE_TIMEOUT="3600", VISIBILITY_MARGIN="10")
    life, published = _lifecycle(settings), Published()
    ahead, fresh = _submit(life, "ahead"), _submit(life, "fresh")
    life.finish(ahead.id, ahead.task_id, GRADED, published)
    _queued_at(life, ahead, time.time() + 3600)
    _queued_at(life, fresh, time.time() - 60)
    assert life.reconcile(published, grace=0).requeued == []


def test_the_reconciler_says_so_when_the_store_goes_down(tmp_path: Path) -> None:
    """Its database stops under it (a private MariaDB): the pass says the store is unreachable,
    and raises nothing, so a periodic reconciler lives on; once it is back, the pass works."""
    import private_servers

    reason = private_servers.missing("mariadb")
    if reason:
        pytest.skip(reason)
    with private_servers.running("mariadb", tmp_path / "mariadb") as server:
        settings = _settings(tmp_path, server.url, QUEUE_TIMEOUT="0")
        life = _lifecycle(settings)
        sub = _submit(life)
        server.stop()
        assert life.reconcile(None, grace=0).unreachable is True
        server.start()
        assert life.reconcile(None, grace=0).requeued == [sub.id]


def test_a_queue_where_nothing_starts_is_queued_again_after_the_timeout(tmp_path: Path, db_url: str) -> None:
    settings = _settings(tmp_path, db_url, QUEUE_TIMEOUT="100")
    life, published = _lifecycle(settings), Published()
    sub = _submit(life)
    t0 = time.time()
    _queued_at(life, sub, t0 - 1000)
    assert life.reconcile(published, grace=0, now=t0 - 901).requeued == []  # waited 99 s
    assert life.reconcile(published, grace=0, now=t0 - 899).requeued == [sub.id]  # 101 s


def test_a_running_submission_is_queued_again_only_after_the_grading_limit(tmp_path: Path, db_url: str) -> None:
    settings = _settings(tmp_path, db_url, GRADE_TIMEOUT="100")
    life, published = _lifecycle(settings), Published()
    sub = _submit(life)
    life.start(sub.id, sub.task_id)
    running = life.store.get(sub.id)
    assert running is not None and running.state == "running" and running.started is not None
    soon = running.started + 100 + VISIBILITY_MARGIN - 1
    assert life.reconcile(published, grace=0, now=soon).requeued == []
    later = life.reconcile(published, grace=0, now=soon + 2)
    assert later.requeued == [sub.id]
    again = life.store.get(sub.id)
    assert again is not None and (again.state, again.started, again.runs) == ("queued", None, 2)


def test_racing_finishers_publish_one_score(tmp_path: Path, db_url: str) -> None:
    settings = _settings(tmp_path, db_url)
    life, published = _lifecycle(settings), Published()
    sub = _submit(life)
    _task_result(settings, sub.task_id, GRADED)
    barrier = threading.Barrier(8)
    outcomes: dict[int, str] = {}

    def race(i: int) -> None:
        other = _lifecycle(settings)
        barrier.wait()
        try:
            if i % 2:
                other.finish(sub.id, sub.task_id, GRADED, published)
            else:
                other.reconcile(published, grace=0)
            outcomes[i] = "ok"
        except Conflict as error:
            outcomes[i] = error.code

    threads = [threading.Thread(target=race, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert published.scores == [(sub.id, 2.0)], outcomes
    assert all(outcomes[i] == "ok" for i in range(0, 8, 2))  # a reconciler that lost the race moves on
    finishers = [outcomes[i] for i in range(1, 8, 2)]
    assert finishers.count("ok") <= 1 and set(finishers) <= {"ok", "already_final"}
    assert life.store.get(sub.id).state == "graded"  # type: ignore[union-attr]


def test_a_score_the_lms_refused_is_published_by_the_next_reconcile(tmp_path: Path, db_url: str) -> None:
    settings = _settings(tmp_path, db_url)
    life, published = _lifecycle(settings), Published()
    sub = _submit(life)
    published.failing = True
    with pytest.raises(RuntimeError):
        life.finish(sub.id, sub.task_id, GRADED, published)
    stored = life.store.get(sub.id)
    assert stored is not None and (stored.state, stored.published) == ("graded", False)
    assert life.store.unpublished() == [stored]
    published.failing = False
    assert life.reconcile(published, grace=0).published == [sub.id]
    assert life.reconcile(published, grace=0).published == []
    assert published.scores == [(sub.id, 2.0)]


def test_the_reconciler_stops_when_the_queue_is_unreachable(tmp_path: Path) -> None:
    """The result backend down: the block's client gives up within about a second (the
    worker's, which stores results, waits about a minute); on one store, as which store
    holds the submissions does not change what the reconciler does about it."""
    db_url = f"sqlite:///{tmp_path / 'submissions.sqlite'}"
    settings = _settings(tmp_path, db_url)
    life = _lifecycle(settings)
    sub = _submit(life)
    down = _settings(tmp_path, db_url, RESULT_BACKEND=f"redis://127.0.0.1:{servers.free_port()}/0")
    before = life.store.get(sub.id)
    assert _lifecycle(down).reconcile(None, grace=0).unreachable is True
    assert life.store.get(sub.id) == before


@pytest.mark.slow
def test_a_real_worker_whose_callbacks_fail_is_finished_by_the_reconciler(tmp_path: Path) -> None:
    root = tmp_path
    (root / "var").mkdir()  # the workbench settings the worker's environment names log there
    env = servers.environment(root, servers.free_port())  # nothing listens there: callbacks fail
    settings = deployment.load({}, env)
    service = GradingService(settings, "block")
    from sabaq_xblock import limits, notebook

    text = limits.serialise(notebook.fill_answers(notebooks.student(), RIGHT))
    sub = service.submit(ASSIGNMENT.instructor, text, "ali", "submit", env["SABAQ_CALLBACK_BASE_URL"] + "/cb",
                         limits=limits.SubmissionLimits.of(100, 100))
    published = Published()
    with servers.worker(root, env):
        deadline = time.monotonic() + 120
        while service.backend.poll(sub.task_id).report is None:
            assert time.monotonic() < deadline, (root / "worker.log").read_text()
            time.sleep(0.3)
    assert service.store.get(sub.id).state == "queued"  # type: ignore[union-attr]
    assert service.reconcile(published, grace=0).finished == [sub.id]
    final = service.store.get(sub.id)
    assert final is not None and final.state == "graded" and final.score == 3.0
    assert published.scores == [(sub.id, 3.0)]



def test_the_reconcile_command_makes_one_pass_and_says_what_it_did(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "SABAQ_DATA_DIR": str(tmp_path), "SABAQ_QUEUE_TIMEOUT": "0", "SABAQ_MAX_RUNS": "2"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    settings = deployment.load({}, env)
    life = _lifecycle(settings)
    sub = _submit(life)
    command = [sys.executable, "-m", "sabaq_xblock.reconcile", "--grace", "0"]
    passes = [json.loads(subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout)
              for _ in range(3)]
    assert [(p["requeued"], p["given_up"], p["unreachable"]) for p in passes] == [
        ([sub.id], [], False), ([], [sub.id], False), ([], [], False)]
    assert life.store.get(sub.id).state == "error"  # type: ignore[union-attr]


@pytest.mark.slow
def test_a_worker_killed_mid_grade_loses_nothing(tmp_path: Path) -> None:
    """SIGKILL a real worker while it grades; the reconciler queues the run again, a new worker
    grades it, the dead run's token is refused, and the score is published once."""
    import os
    import signal

    (tmp_path / "var").mkdir()
    env = servers.environment(tmp_path, servers.free_port())
    settings = deployment.load({}, env)
    service = GradingService(settings, "block")
    from sabaq_xblock import limits, notebook

    slow = "import time\ndef add(a, b):\n    time.sleep(3)\n    return a + b"
    text = limits.serialise(notebook.fill_answers(notebooks.student(), {"add": slow}))
    sub = service.submit(ASSIGNMENT.instructor, text, "ali", "submit", None,
                         limits=limits.SubmissionLimits.of(100, 100))
    with servers.worker(tmp_path, env) as doomed:
        deadline = time.monotonic() + 120
        while service.backend.poll(sub.task_id).state != "running":
            assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()
            time.sleep(0.2)
        os.killpg(doomed.pid, signal.SIGKILL)
        doomed.wait(timeout=30)
    published = Published()
    assert service.reconcile(published, grace=0).requeued == []  # not overdue yet
    later = time.time() + settings.queue_timeout + 1
    assert service.reconcile(published, grace=0, now=later).requeued == [sub.id]
    rerun = service.store.get(sub.id)
    assert rerun is not None and rerun.runs == 2 and rerun.task_id != sub.task_id
    with servers.worker(tmp_path, env):
        deadline = time.monotonic() + 120
        while service.backend.poll(rerun.task_id).report is None:
            assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()
            time.sleep(0.3)
    with pytest.raises(Conflict):
        service.lifecycle.finish(sub.id, sub.task_id, GRADED, published)  # the dead run, had it spoken
    assert service.reconcile(published, grace=0).finished == [sub.id]
    assert service.reconcile(published, grace=0).finished == []
    final = service.store.get(sub.id)
    assert final is not None and (final.state, final.score, final.runs) == ("graded", 3.0, 2)
    assert published.scores == [(sub.id, 3.0)]
