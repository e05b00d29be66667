"""Faults during a burst, on Redis and on RabbitMQ: workers killed mid-grade again and again, the
broker restarted, the LMS's callbacks failing (errors, time-outs, the LMS down), the database
restarted. Every submission is graded with its right score and published exactly once, with no
one's help but the reconciler's periodic job (``python -m sabaq_xblock.reconcile --every``).

Each runs the burst benchmark's core (``bench/bench_burst.py``) over the real workbench, real
Celery workers and real servers; the servers a fault restarts are the test's own
(``private_servers``), never the machine's.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import private_servers
import pytest
import servers

pytestmark = [pytest.mark.services, pytest.mark.slow]
SUBMISSIONS = 6
# Short limits, so that a fault heals within the test: a silent run is queued again 25 s after it
# started (grading limit 20 s plus a 5 s margin), an unstarted one once a run queued 5 s after it
# has reached a worker (or after 30 s of no progress at all); callbacks give up after 2 s per try.
# The reconciler runs every second.
SETTINGS = {"SABAQ_GRADE_TIMEOUT": "20", "SABAQ_VISIBILITY_MARGIN": "5", "SABAQ_QUEUE_TIMEOUT": "30",
            "SABAQ_CALLBACK_TIMEOUT": "2"}
BROKERS = ["redis", "rabbitmq"]


def _reachable(port: int, name: str) -> None:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=3).close()
    except OSError as error:
        pytest.skip(f"{name} at 127.0.0.1:{port} is unreachable: {error}")


def _needs(broker: str, *private: str) -> None:
    _reachable(5432, "PostgreSQL")
    _reachable(6379 if broker == "redis" else 5672, "Redis" if broker == "redis" else "RabbitMQ")
    for kind in private:
        reason = private_servers.missing(kind)
        if reason:
            pytest.skip(reason)


def _burst(broker: str, fault: Callable[[Any], None] | None, **options: Any) -> Any:
    settings = {**SETTINGS, **options.pop("settings", {})}
    bench = servers.burst_bench()
    return bench.run_burst(submissions=SUBMISSIONS, workers=2, broker=broker, threads=6, pollers=3, stall=150.0,
                           settings=settings, reconcile_every=1.0, fault=fault, answers=bench.SLOW_ANSWERS,
                           **options)


def _once_grading(faults: Any, at_most: float) -> None:
    """Wait until a live worker is grading (its task STARTED on its node), so that the fault lands
    mid-grade, but at most ``at_most`` seconds into the drain (the fixed delay this replaced):
    the fault never strikes later than it did, and usually sooner."""
    deadline = time.monotonic() + at_most
    while time.monotonic() < deadline and not faults.grading():
        time.sleep(0.05)


def _after(delay: float, action: Callable[[], None]) -> Callable[[Any], None]:
    """A fault that waits until a worker is grading, ``delay`` seconds into the drain at most,
    then does ``action``."""
    def fault(faults: Any) -> None:
        _once_grading(faults, delay)
        action()
    return fault


def _burst_submissions(faults: Any) -> set[str]:
    """The ids of the burst's submissions (every one was submitted before the fault began)."""
    import sqlalchemy as sa

    engine = sa.create_engine(faults.env["SABAQ_SUBMISSIONS_DB"])
    try:
        with engine.connect() as conn:
            return {r[0] for r in conn.execute(sa.text(
                "SELECT id FROM sabaq_submission WHERE learner_id LIKE 'burst-%'"))}
    finally:
        engine.dispose()


def _reports_given_up(faults: Any, ids: set[str]) -> bool:
    """Whether the workers have given up sending the report (``finished``) callback of each of
    ``ids``: every try failed, as its worker logged (``sabaq_grading.worker.tasks._tell``)."""
    logged = "".join(path.read_text("utf-8", "replace") for path in Path(faults.root).glob("worker*.log"))
    return all(f"submission {sid} finished callback failed" in logged for sid in ids)


def _nothing_lost(burst: Any, most_runs: int = 1) -> None:
    """0 lost, 0 given up, 0 published twice, every score right, status answered throughout
    (but while the fault kept the LMS from answering), each graded in at most ``most_runs`` runs
    (a final state is written once by construction: ``Lifecycle.finish``), and the reconciler
    alive at the end with nothing it could not handle."""
    assert burst.submit_errors == []
    assert (burst.graded, burst.errors, burst.lost, burst.wrong_scores) == (SUBMISSIONS, 0, 0, 0)
    assert sorted(burst.publishes.values()) == [1] * SUBMISSIONS and burst.published_flags == SUBMISSIONS
    assert burst.poll_errors == []
    assert max(burst.runs) <= most_runs, burst.runs
    assert burst.reconciler_running and burst.reconciler_tracebacks == 0


@pytest.mark.parametrize("broker", BROKERS)
def test_workers_killed_mid_grade_again_and_again_lose_nothing(broker: str) -> None:
    _needs(broker)

    def kill_three(faults: Any) -> None:
        for _ in range(3):
            time.sleep(0.5)
            faults.kill_worker(mid_grade=30.0)

    burst = _burst(broker, kill_three)
    _nothing_lost(burst, most_runs=3)  # MAX_RUNS: a killed run is graded again
    assert (burst.workers_killed, burst.killed_mid_grade) == (3, 3)


@pytest.mark.parametrize("broker", BROKERS)
def test_the_broker_restarted_mid_burst_loses_nothing(broker: str, tmp_path: Path) -> None:
    _needs(broker, broker)
    with private_servers.running(broker, tmp_path / broker) as server:
        burst = _burst(broker, _after(1.0, lambda: server.restart(down=2.0)), broker_url=server.url)
        assert server.restarts == 1
    _nothing_lost(burst, most_runs=2)  # a task the broker lost is queued once more


@pytest.mark.parametrize("broker", BROKERS)
def test_the_database_restarted_mid_burst_loses_nothing(broker: str, tmp_path: Path) -> None:
    _needs(broker, "mariadb")
    with private_servers.running("mariadb", tmp_path / "mariadb") as server:
        def restart(faults: Any) -> None:
            _once_grading(faults, 1.0)
            with faults.outage():  # the block answers 503 meanwhile, and the page asks again
                server.restart(down=2.0)

        burst = _burst(broker, restart, store_url=server.url)
        assert server.restarts == 1
    _nothing_lost(burst, most_runs=2)  # a result the database lost: graded once more


@pytest.mark.parametrize("broker", BROKERS)
def test_the_lms_down_for_a_while_loses_nothing(broker: str) -> None:
    _needs(broker)
    def down(faults: Any) -> None:
        """The LMS goes down once a worker is grading (so no report has reached it yet) and stays
        down until every submission's report callback has failed (each worker tried it, then gave
        up), so that none reaches the block but through the reconciler, as the 20 s it was down
        for before ensured; at most those 20 s. (bench/bench_burst.py --fault lms-down takes it
        down for a minute.)"""
        _once_grading(faults, 0.5)
        ids = _burst_submissions(faults)
        with faults.outage():
            faults.lms.close()
            deadline = time.monotonic() + 20.0
            while time.monotonic() < deadline and not _reports_given_up(faults, ids):
                time.sleep(0.2)
            faults.start_lms()

    burst = _burst(broker, down)
    _nothing_lost(burst)
    assert burst.outage_poll_errors > 0  # the learners' pages did see it down


@contextlib.contextmanager
def _failing_lms() -> Iterator[tuple[str, list[str]]]:
    """Where the block's callbacks go instead of the LMS: a server that answers one request in two
    with a 500 and holds the other until the worker gives up on it (a time-out). Also yields what
    it did, one word per request."""
    seen: list[str] = []

    class Failing(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen.append("timeout" if len(seen) % 2 else "error")
            if seen[-1] == "timeout":
                time.sleep(float(SETTINGS["SABAQ_CALLBACK_TIMEOUT"]) + 1)
                return  # the connection closes with no answer
            self.send_response(500)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Failing)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("broker", BROKERS)
def test_callbacks_that_fail_or_time_out_lose_nothing(broker: str) -> None:
    _needs(broker)
    with _failing_lms() as (elsewhere, seen):
        burst = _burst(broker, None, settings={"SABAQ_CALLBACK_BASE_URL": elsewhere})
    _nothing_lost(burst)  # each finished by the reconciler from the result backend
    assert "error" in seen and "timeout" in seen
