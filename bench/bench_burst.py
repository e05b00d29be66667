"""A burst of submissions through the block's real HTTP handlers, graded by real Celery workers.

N distinct learners (one submission each) submit at once over a real workbench (a thread pool
of ``--threads``); ``--pollers`` threads poll each learner's ``status`` until it is final, on the
page's own schedule (``sabaq_contract.polling``) or every ``--interval`` seconds; W real worker
processes grade them through the chosen broker (Redis or RabbitMQ) and store (PostgreSQL,
MariaDB or SQLite). With ``--fault``, one of the faults of ``tests/plugin/test_faults.py`` (at a
larger scale: five workers killed, the LMS down a minute) strikes while it drains. It prints:

- graded / errors / lost, the publishes counted from the workbench runtime's grade events
  (each graded learner's score must leave the block exactly once) and the store's
  ``published`` flags, and every poll that was not answered with a known state;
- the drain time (first submit to the last grade stored) against the lower bound
  ``sum(code_ms) / W + median(overhead_ms) * N / W`` from the grade reports' timings;
- submit→graded latency p50/p95/p99 (from the submit's answer to the first poll that saw a
  final state);
- with ``--scaling``: the same with 1 and with 2 workers, and how throughput grows.

Run: ``.venv/bin/python bench/bench_burst.py [--submissions 500] [--workers 2]
[--broker redis|rabbitmq] [--store postgresql|mariadb|sqlite] [--scaling] [--fault KIND]``.
"""

from __future__ import annotations

import argparse
import contextlib
import heapq
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "plugin"))

import notebooks  # noqa: E402
import servers  # noqa: E402

from sabaq_contract import polling  # noqa: E402

REDIS = "redis://127.0.0.1:6379/14"
RABBITMQ = "amqp://guest:guest@127.0.0.1:5672//"
POSTGRESQL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
KNOWN_STATES = {"none", "queued", "running", "graded", "error"}
FINAL_STATES = {"graded", "error"}
ADD = "def add(a, b):\n    return a + b"
# (answer, expected score): right, wrong, and right after some arithmetic of its own
ANSWERS = [
    (ADD, 3.0),
    ("def add(a, b):\n    return a - b", 0.0),
    (ADD, 3.0),
    ("def add(a, b):\n    sum(i * i for i in range(100000))\n    return a + b", 3.0),
]

# The workbench's runtime only logs what a block publishes; this settings module (the demo's
# own plus one log handler) writes each grade event as a JSON line, so publishes can be counted.
# Django's development server listens with a backlog of 5 connections, and resets the rest
# of a burst of 32 concurrent requests; an LMS behind gunicorn or uWSGI keeps a deep backlog.
SETTINGS = '''
import json, logging, threading
from django.core.servers import basehttp
from sabaq_xblock.devserver import *  # noqa
from sabaq_xblock.devserver import LOGGING as _LOGGING

basehttp.WSGIServer.request_queue_size = 1024


class GradeRecords(logging.Handler):
    """Each grade event ``workbench.runtime`` logs (a header record, then the event's dict)."""

    def __init__(self, filename):
        super().__init__()
        self.out = open(filename, "a", buffering=1, encoding="utf-8")
        self.local = threading.local()

    def emit(self, record):
        if isinstance(record.msg, dict):
            header = getattr(self.local, "header", None)
            if header and header[0] == "grade":
                self.out.write(json.dumps({"usage": str(header[2]), **record.msg}, default=str) + "\\n")
            self.local.header = None
        elif record.args and len(record.args) == 3:
            self.local.header = record.args


LOGGING = {
    **_LOGGING,
    "handlers": {**_LOGGING["handlers"], "grades": {"()": "burst_settings.GradeRecords",
                                                  "filename": %r}},
    "loggers": {**_LOGGING["loggers"], "workbench.runtime": {"handlers": ["grades"], "level": "INFO",
                                                             "propagate": False}},
}
'''


@dataclass
class Learner:
    """One learner of the burst and what the benchmark saw of their submission."""

    client: servers.Client
    answer: str
    expected: float
    submitted_at: float = 0.0  # wall clock, before the submit request
    returned_at: float = 0.0  # monotonic, when the submit answered
    returned_wall: float = 0.0  # the same, wall clock (the store's clock)
    submission_id: str = ""
    submit_error: str = ""
    final_at: float = 0.0  # monotonic, first poll that saw a final state
    final: dict[str, Any] = field(default_factory=dict)
    polls: int = 0
    states: list[str] = field(default_factory=list)  # as the page saw them ("unanswered": a poll failed)
    delay: float | None = None  # the page's last wait between polls
    same_state: bool = False  # whether the last poll saw the state the one before saw


@dataclass
class Burst:
    """What one burst measured."""

    submissions: int
    workers: int
    interval: float
    broker: str
    store: str
    graded: int
    errors: int
    lost: int
    wrong_scores: int
    submit_errors: list[str]
    publishes: Counter[str]
    published_flags: int
    poll_errors: list[str]
    polls: int
    poll_answer_s: list[float]  # how long each status request took to answer
    drain_s: float
    code_ms: float
    overhead_ms: float
    latencies: list[float]
    stored_latencies: list[float]  # submit answered -> final state stored (no poll granularity)
    seen_running: int
    runs: Counter[int]
    service_ms: float  # median, 'started' callback to final state stored
    outage_poll_errors: int = 0  # polls not answered while the LMS or its database was down on purpose
    workers_killed: int = 0
    killed_mid_grade: int = 0
    reconciler_running: bool = False  # at the end, with reconcile_every
    reconciler_tracebacks: int = 0
    machine_cpu_s: float = 0.0  # every core's busy time over the drain, all processes
    worker_cpu_s: float = 0.0  # the workers' share of it (with their descendants: the sandboxes)

    @property
    def cycle_ms(self) -> float:
        """What one submission cost a worker, on average, over the drain."""
        return 1000 * self.drain_s * self.workers / self.submissions if self.submissions else 0.0

    @property
    def published_once(self) -> int:
        return sum(1 for n in self.publishes.values() if n == 1)

    @property
    def published_twice(self) -> int:
        return sum(1 for n in self.publishes.values() if n > 1)

    @property
    def lower_bound_s(self) -> float:
        return (self.code_ms / self.workers + self.overhead_ms * self.submissions / self.workers) / 1000

    @property
    def throughput(self) -> float:
        return self.submissions / self.drain_s if self.drain_s else 0.0

    def percentile(self, q: float, values: list[float] | None = None) -> float:
        """The nearest-rank ``q``-th percentile of ``values`` (the submit→graded latencies)."""
        ordered = sorted(self.latencies if values is None else values)
        if not ordered:
            return float("nan")
        return ordered[max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))]


# ---- servers ---------------------------------------------------------------------------


def _clean_queue(broker_url: str, queue: str, delete: bool) -> None:
    """Purge (or delete) only ``queue`` on the broker."""
    from kombu import Connection
    from kombu.exceptions import OperationalError

    with Connection(broker_url) as conn:
        channel = conn.default_channel
        try:
            if delete:
                channel.queue_delete(queue)
            else:
                channel.queue_purge(queue)
        except (OperationalError, *conn.channel_errors):
            pass  # no such queue yet
    if broker_url.startswith("redis://") and delete:
        import redis

        client = redis.Redis.from_url(broker_url)
        for key in client.scan_iter(match=f"*{queue}*"):
            client.delete(key)


@contextlib.contextmanager
def _postgresql_schema() -> Iterator[str]:
    import sqlalchemy as sa

    schema = f"sabaq_burst_{uuid.uuid4().hex[:10]}"
    server = sa.create_engine(POSTGRESQL)
    with server.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{POSTGRESQL}?options=-csearch_path%3D{schema}"
    finally:
        with server.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        server.dispose()


@contextlib.contextmanager
def _mariadb_database() -> Iterator[str]:
    from stores import mariadb_database

    with servers.mariadb() as server:
        if server is None:
            raise RuntimeError("MariaDB is not installed (Debian package mariadb-server; bash .ci/setup)")
        url, drop = mariadb_database(server)
        try:
            yield url
        finally:
            drop()


def _deployment(stack: contextlib.ExitStack, root: Path, broker: str, store: str, queue: str,
                broker_url: str = "", store_url: str = "") -> dict[str, str]:
    """The ``SABAQ_*`` settings of the chosen broker and store (made fresh, removed on exit);
    ``broker_url`` and ``store_url`` name servers of the caller's own instead."""
    if store_url:
        db = store_url
    elif store == "postgresql":
        db = stack.enter_context(_postgresql_schema())
    elif store == "mariadb":
        db = stack.enter_context(_mariadb_database())
    elif store == "sqlite":
        db = f"sqlite:///{root / 'submissions.sqlite'}"
    else:
        raise ValueError(f"unknown store {store!r}")
    if broker == "redis":
        broker_url = broker_url or REDIS
        results = broker_url
    elif broker == "rabbitmq":
        broker_url, results = broker_url or RABBITMQ, "db+" + db
    else:
        raise ValueError(f"unknown broker {broker!r}")
    _clean_queue(broker_url, queue, delete=False)
    stack.callback(_clean_queue, broker_url, queue, True)
    return {"SABAQ_BROKER_URL": broker_url, "SABAQ_RESULT_BACKEND": results, "SABAQ_SUBMISSIONS_DB": db,
            "SABAQ_QUEUE": queue}


# ---- CPU accounting --------------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def _machine_busy_s() -> float:
    """Core-seconds all cores have been busy since boot (``/proc/stat``: all but idle and iowait)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
    return (sum(fields) - fields[3] - fields[4]) / TICK


def _tree_cpu_s(roots: set[int]) -> float:
    """CPU seconds of the live processes ``roots`` and all their descendants (sandboxes run in
    sessions of their own), with what their reaped children used."""
    parents, used = {}, {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])  # ppid; then utime, stime, cutime, cstime at 11..14
        used[pid] = sum(int(x) for x in fields[11:15])

    def ours(pid: int) -> bool:
        while pid > 1:
            if pid in roots:
                return True
            pid = parents.get(pid, 0)
        return False

    return sum(ticks for pid, ticks in used.items() if ours(pid)) / TICK


# ---- the burst -------------------------------------------------------------------------


class Pollers:
    """``count`` threads that poll each pending learner's status every ``interval`` seconds, or
    (``interval`` 0) on the learner's page's own schedule (``sabaq_contract.polling``)."""

    def __init__(self, usage: str, count: int, interval: float) -> None:
        self.usage, self.interval = usage, interval
        self.heap: list[tuple[float, int, Learner]] = []
        self.cond = threading.Condition()
        self.pending = 0
        self.errors: list[tuple[float, str]] = []  # (monotonic, what went wrong)
        self.polls = 0
        self.answer_times: list[float] = []
        self.closed = False
        self.serial = 0
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(count)]
        for thread in self.threads:
            thread.start()

    def add(self, learner: Learner, due: float) -> None:
        with self.cond:
            self.serial += 1
            heapq.heappush(self.heap, (due, self.serial, learner))
            self.pending += 1
            self.cond.notify()

    def _run(self) -> None:
        while True:
            with self.cond:
                while not self.closed and (not self.heap or self.heap[0][0] > time.monotonic()):
                    self.cond.wait(timeout=(self.heap[0][0] - time.monotonic()) if self.heap else None)
                if self.closed:
                    return
                _, _, learner = heapq.heappop(self.heap)
            final = self._poll(learner)
            with self.cond:
                if final:
                    self.pending -= 1
                    self.cond.notify_all()
                else:
                    self.serial += 1
                    heapq.heappush(self.heap, (time.monotonic() + self._delay(learner), self.serial, learner))
                    self.cond.notify()

    def _delay(self, learner: Learner) -> float:
        if self.interval > 0:
            return self.interval
        learner.delay = polling.next_delay(learner.delay, same_state=learner.same_state)
        return learner.delay

    def _poll(self, learner: Learner) -> bool:
        asked = time.monotonic()
        try:
            status, data = learner.client.post(self.usage, "status", {"submission_id": learner.submission_id})
        except OSError as error:
            status, data = 0, repr(error)
        now = time.monotonic()
        with self.cond:
            self.polls += 1
            self.answer_times.append(now - asked)
            learner.polls += 1
        state = data.get("state") if isinstance(data, dict) else None
        if status != 200 or state not in KNOWN_STATES:
            with self.cond:
                self.errors.append((now, f"{learner.client.student}: HTTP {status} {str(data)[:200]}"))
            learner.same_state = learner.states[-1:] == ["unanswered"]
            learner.states.append("unanswered")
            return False
        learner.same_state = learner.states[-1:] == [state]
        if not learner.same_state:
            learner.states.append(state)
        if state in FINAL_STATES:
            learner.final_at, learner.final = now, dict(data)
            return True
        return False

    def wait(self, stall: float) -> None:
        """Until no learner is pending, or none became final for ``stall`` seconds."""
        with self.cond:
            last, left = time.monotonic(), self.pending
            while self.pending:
                self.cond.wait(timeout=1.0)
                if self.pending != left:
                    last, left = time.monotonic(), self.pending
                elif time.monotonic() - last > stall:
                    return

    def close(self) -> None:
        with self.cond:
            self.closed = True
            self.cond.notify_all()
        for thread in self.threads:
            thread.join(timeout=60)


def _grade_records(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def _store_rows(url: str) -> list[dict[str, Any]]:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT learner_id, state, score, published, runs, started, updated, report"
                                        " FROM sabaq_submission")).mappings().all()
        return [dict(r) for r in rows]
    finally:
        engine.dispose()


def _open_page(learner: Learner) -> None:
    """Open the learner's page (their session and CSRF cookies); the workbench keeps its users
    and sessions in SQLite, which refuses some concurrent first visits: those are tried again."""
    for delay in (0.5, 1.0, 2.0, 4.0, 0.0):
        try:
            learner.client.usage_id("sabaq_notebook.0")
            return
        except (AssertionError, OSError):
            if not delay:
                raise
            time.sleep(delay)


class Faults:
    """What a fault may do to a burst's own processes while it drains: kill a worker mid-grade
    (and start another in its place), take the LMS down for a while. The broker and the store
    are the caller's (``tests/plugin/private_servers.py``), which it restarts itself."""

    def __init__(self, root: Path, env: dict[str, str], queue: str, port: int) -> None:
        self.root, self.env, self.queue, self.port = root, env, queue, port
        self.workers: dict[int, tuple[contextlib.ExitStack, int]] = {}
        self.lms = contextlib.ExitStack()
        self.outages: list[tuple[float, float]] = []  # monotonic: the LMS was down
        self.killed: list[int] = []  # pids of the workers killed
        self.killed_mid_grade = 0  # of those, killed while both workers' submissions were running
        self.dead_cpu_s = 0.0  # what the killed workers had used
        self.pids: set[int] = set()
        self._next = 0

    def start_worker(self) -> int:
        number, self._next = self._next, self._next + 1
        stack = contextlib.ExitStack()
        pid = stack.enter_context(servers.worker(self.root, self.env, self.queue, number)).pid
        self.workers[number], _ = (stack, pid), self.pids.add(pid)
        return number

    def start_lms(self) -> str:
        return self.lms.enter_context(servers.workbench(self.root, self.env, self.port))

    def grading(self) -> dict[str, str]:
        """The live workers' nodes that are grading now, with their tasks: what the result
        backend says has STARTED (and on which node) among the store's pending submissions."""
        import socket

        import sqlalchemy as sa

        from sabaq_contract import settings as deployment
        from sabaq_xblock.backend import _celery_app

        engine = sa.create_engine(self.env["SABAQ_SUBMISSIONS_DB"])
        try:
            with engine.connect() as conn:
                tasks = [r[0] for r in conn.execute(sa.text(
                    "SELECT task_id FROM sabaq_submission WHERE pending_slot IS NOT NULL"))]
        finally:
            engine.dispose()
        app = _celery_app(deployment.load({}, self.env))
        live = {f"worker{n}-{self.queue}@{socket.gethostname()}": n for n in self.workers}
        found = {}
        for task in tasks:
            result = app.AsyncResult(task)
            node = result.info.get("hostname") if result.state == "STARTED" and isinstance(result.info, dict) else None
            if node in live:
                found[node] = task
        return found

    def kill_worker(self, number: int | None = None, mid_grade: float = 0.0) -> int:
        """SIGKILL a live worker's process group (the oldest unless ``number``); a new worker
        takes its place. With ``mid_grade``, first wait (at most that many seconds) until a
        worker is grading (its task STARTED on its node), and kill that one. The number of the
        new worker."""
        deadline = time.monotonic() + mid_grade
        while mid_grade and time.monotonic() < deadline:
            busy = self.grading()
            if busy:
                node = min(busy)
                number = int(node.split("-", 1)[0].removeprefix("worker"))
                self.killed_mid_grade += 1
                break
            time.sleep(0.05)
        number = min(self.workers) if number is None else number
        stack, pid = self.workers.pop(number)
        self.dead_cpu_s += _tree_cpu_s({pid})
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        stack.close()  # reaps it
        self.killed.append(pid)
        return self.start_worker()

    @contextlib.contextmanager
    def outage(self) -> Iterator[None]:
        """The time inside is an outage: a status poll not answered then is the fault's, not an error."""
        began = time.monotonic()
        try:
            yield
        finally:
            self.outages.append((began, time.monotonic()))

    def lms_down(self, seconds: float) -> None:
        """Stop the LMS (the workbench), leave it down ``seconds``, start it again on its port."""
        with self.outage():
            self.lms.close()
            time.sleep(seconds)
            self.start_lms()

    def during_outage(self, at: float) -> bool:
        return any(began - 0.5 <= at <= ended + 0.5 for began, ended in self.outages)

    def close(self) -> None:
        for stack, _ in self.workers.values():
            stack.close()
        self.workers.clear()
        self.lms.close()


def _reconciler(stack: contextlib.ExitStack, root: Path, env: dict[str, str], every: float
                ) -> Callable[[], tuple[bool, int]]:
    """``python -m sabaq_xblock.reconcile --every`` with the LMS's settings (it publishes the
    scores it finishes through the workbench), stopped on exit by its process group. Returns
    how it is doing: whether it still runs, and how many tracebacks it has logged."""
    log_path = root / "reconcile.log"
    log = log_path.open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "sabaq_xblock.reconcile", "--every", str(every),
                             "--grace", str(max(2.0, 3 * every))], cwd=root, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)

    def stop() -> None:
        servers.stop(proc)
        log.close()

    stack.callback(stop)
    return lambda: (proc.poll() is None, log_path.read_text("utf-8", "replace").count("Traceback"))


Fault = Callable[[Faults], None]


def run_burst(submissions: int = 500, workers: int = 2, broker: str = "redis", store: str = "postgresql",
              threads: int = 32, pollers: int = 8, interval: float = 0.0, stall: float = 120.0,
              progress: bool = False, *, broker_url: str = "", store_url: str = "",
              settings: dict[str, str] | None = None, reconcile_every: float = 0.0,
              fault: Fault | None = None, answers: list[tuple[str, float]] | None = None) -> Burst:
    """One burst of ``submissions`` learners' submissions to ``workers`` fresh worker processes.

    With ``fault``, it runs in a thread of its own once every submit was answered, given the
    burst's :class:`Faults`; ``settings`` are more ``SABAQ_*`` variables for every process, and
    ``reconcile_every`` runs the reconciler every that many seconds. ``answers`` are the
    (answer, right score) pairs the learners take turns with (default ``ANSWERS``).
    """
    answers = answers or ANSWERS
    with tempfile.TemporaryDirectory(prefix="sabaq-burst-") as tmp, contextlib.ExitStack() as stack:
        root = Path(tmp)
        (root / "scenarios").mkdir()
        (root / "scenarios" / "a.xml").write_text(notebooks.olx(), "utf-8")
        records = root / "grades.jsonl"
        (root / "burst_settings.py").write_text(SETTINGS % str(records), "utf-8")
        port = servers.free_port()
        env = servers.environment(root, port)
        queue = f"sabaq-burst-{uuid.uuid4().hex[:8]}"
        env.update(_deployment(stack, root, broker, store, queue, broker_url, store_url))
        env.update(settings or {})
        env["DJANGO_SETTINGS_MODULE"] = "burst_settings"
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(root), env.get("PYTHONPATH", "")) if p)
        faults = Faults(root, env, queue, port)
        stack.callback(faults.close)
        base = faults.start_lms()
        for _ in range(workers):
            faults.start_worker()
        reconciler = _reconciler(stack, root, env, reconcile_every) if reconcile_every else None

        # every worker grades once before the burst (assignment prepared, sandboxes warm)
        warm = [servers.Client(base, f"warmup-{i}") for i in range(workers)]
        usage = warm[0].usage_id("sabaq_notebook.0")
        for client in warm[1:]:
            client.usage_id("sabaq_notebook.0")
        ids = [client.post(usage, "submit", {"answers": {"add": ADD}})[1]["submission_id"] for client in warm]
        for client, sid in zip(warm, ids, strict=True):
            client.wait_final(usage, sid, limit=300)

        learners = [Learner(servers.Client(base, f"burst-{i:05d}"), *answers[i % len(answers)])
                    for i in range(submissions)]
        with ThreadPoolExecutor(8) as pool:  # session and CSRF cookies, before the clock starts
            list(pool.map(_open_page, learners))

        poll = Pollers(usage, pollers, interval)

        def submit(learner: Learner) -> None:
            learner.submitted_at = time.time()
            try:
                status, data = learner.client.post(usage, "submit", {"answers": {"add": learner.answer}})
            except OSError as error:
                status, data = 0, repr(error)
            learner.returned_at, learner.returned_wall = time.monotonic(), time.time()
            if status != 200 or not isinstance(data, dict) or data.get("state") != "queued":
                learner.submit_error = f"{learner.client.student}: HTTP {status} {str(data)[:200]}"
                return
            learner.submission_id = data["submission_id"]
            poll.add(learner, learner.returned_at + (interval or polling.FIRST))

        cpu_before = (_machine_busy_s(), _tree_cpu_s(faults.pids))
        started = time.time()
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(submit, learners))
        if progress:
            print(f"  {submissions} submits answered in {time.time() - started:.1f} s", flush=True)
        failed: list[BaseException] = []

        def strike() -> None:
            try:
                fault(faults)  # type: ignore[misc]
            except BaseException as error:
                failed.append(error)

        faulting = threading.Thread(target=strike, daemon=True) if fault else None
        if faulting:
            faulting.start()
        poll.wait(stall)
        if faulting:
            faulting.join(timeout=stall + 300)
            if faulting.is_alive() or failed:
                raise RuntimeError("the fault did not finish" if not failed else f"the fault failed: {failed[0]!r}")
            poll.wait(stall)
        cpu_after = (_machine_busy_s(), _tree_cpu_s(faults.pids) + faults.dead_cpu_s)
        poll.close()
        deadline = time.monotonic() + 15  # the score is published just after the final state is stored
        graded_learners = {learner.client.student for learner in learners if learner.final.get("state") == "graded"}
        while time.monotonic() < deadline:
            published = {r.get("user_id") for r in _grade_records(records)}
            if graded_learners <= published:
                break
            time.sleep(0.2)
        time.sleep(1.0)  # a second publish, were there one, would come right after the first
        rows = {r["learner_id"]: r for r in _store_rows(env["SABAQ_SUBMISSIONS_DB"])}
        reconciler_running, reconciler_tracebacks = reconciler() if reconciler else (False, 0)
        events = _grade_records(records)

    publishes: Counter[str] = Counter(str(r.get("user_id")) for r in events
                                      if str(r.get("user_id", "")).startswith("burst-"))
    ours = [rows[learner.client.student] for learner in learners if learner.client.student in rows]
    reports = [json.loads(r["report"]) for r in ours if r["report"]]
    timings = [rep.get("timings", {}) for rep in reports]
    finished = [r["updated"] for r in ours if r["state"] in FINAL_STATES]
    first = min((learner.submitted_at for learner in learners if learner.submitted_at), default=started)
    seen = [learner for learner in learners if learner.final]
    return Burst(
        submissions=submissions, workers=workers, interval=interval, broker=broker, store=store,
        graded=sum(1 for learner in seen if learner.final["state"] == "graded"),
        errors=sum(1 for learner in seen if learner.final["state"] == "error"),
        lost=sum(1 for learner in learners if learner.submission_id and not learner.final),
        wrong_scores=sum(1 for learner in seen if learner.final["state"] == "graded"
                         and learner.final.get("score") != learner.expected),
        submit_errors=[learner.submit_error for learner in learners if learner.submit_error],
        publishes=publishes,
        published_flags=sum(1 for r in ours if r["published"]),
        poll_errors=[m for t, m in poll.errors if not faults.during_outage(t)],
        outage_poll_errors=sum(1 for t, _ in poll.errors if faults.during_outage(t)),
        workers_killed=len(faults.killed),
        killed_mid_grade=faults.killed_mid_grade,
        reconciler_running=reconciler_running,
        reconciler_tracebacks=reconciler_tracebacks,
        polls=poll.polls,
        poll_answer_s=poll.answer_times,
        drain_s=(max(finished) - first) if finished else float("nan"),
        code_ms=sum(float(t.get("code_ms", 0.0)) for t in timings),
        overhead_ms=statistics.median(float(t.get("overhead_ms", 0.0)) for t in timings) if timings else 0.0,
        latencies=[learner.final_at - learner.returned_at for learner in seen],
        stored_latencies=[rows[learner.client.student]["updated"] - learner.returned_wall for learner in seen
                          if learner.client.student in rows],
        seen_running=sum(1 for learner in learners if "running" in learner.states),
        runs=Counter(int(r["runs"]) for r in ours),
        service_ms=statistics.median(served) if (served := [
            1000 * (r["updated"] - r["started"]) for r in ours if r["started"] and r["state"] in FINAL_STATES
        ]) else 0.0,
        machine_cpu_s=cpu_after[0] - cpu_before[0],
        worker_cpu_s=cpu_after[1] - cpu_before[1],
    )


# ---- report ----------------------------------------------------------------------------


def describe(burst: Burst) -> str:
    """The printed summary of one burst."""
    n, b = burst.submissions, burst
    lines = [
        f"burst of {n} submissions, {b.workers} worker(s), {b.broker} + {b.store}",
        f"  graded {b.graded}, errors {b.errors}, lost {b.lost}, submit refused {len(b.submit_errors)}, "
        f"wrong scores {b.wrong_scores}",
        f"  publishes: {sum(b.publishes.values())} grade events for {len(b.publishes)} learners; "
        f"exactly once {b.published_once}, more than once {b.published_twice}, "
        f"graded but never published {max(0, b.graded - len(b.publishes))}; published flags {b.published_flags}",
        f"  status polls: {b.polls} ({b.polls / max(1, n):.1f} per learner), errors {len(b.poll_errors)}; "
        f"'running' seen by {b.seen_running}; runs per submission {dict(sorted(b.runs.items()))}",
        *([f"  faults: {b.workers_killed} worker(s) killed ({b.killed_mid_grade} while grading), "
             f"{b.outage_poll_errors} polls unanswered while the LMS or its database was down"]
          if b.workers_killed or b.outage_poll_errors else []),
        f"  status answered in p50 {1000 * b.percentile(50, b.poll_answer_s):.0f} ms, "
        f"p95 {1000 * b.percentile(95, b.poll_answer_s):.0f} ms during the burst",
        f"  drain (first submit -> last graded): {b.drain_s:.1f} s, {b.throughput:.2f} submissions/s",
        f"  lower bound: code {b.code_ms / 1000:.2f} s / {b.workers} + overhead {b.overhead_ms:.1f} ms (median) "
        f"x {n} / {b.workers} = {b.lower_bound_s:.1f} s",
        f"  ratio drain / lower bound: {b.drain_s / b.lower_bound_s:.2f} (target <= 1.2)",
        f"  per submission per worker: {b.cycle_ms:.0f} ms over the drain; started -> graded stored "
        f"{b.service_ms:.0f} ms (median); report total {b.overhead_ms + b.code_ms / max(1, n):.0f} ms (mean)",
        f"  submit -> graded latency: p50 {b.percentile(50):.2f} s, p95 {b.percentile(95):.2f} s, "
        f"p99 {b.percentile(99):.2f} s (first poll that saw it; each learner polled "
        + (f"at most every {b.interval:.1f} s" if b.interval > 0 else
           f"on the page's schedule, {polling.FIRST:.1f} s growing {polling.GROWTH}x to {polling.MOST:.0f} s")
        + f"; {b.polls / max(1e-9, b.drain_s):.1f} polls/s over the drain)",
        f"  CPU while it drained: {b.machine_cpu_s:.1f} core-s busy of {os.cpu_count() or 1} cores x "
        f"{b.drain_s:.1f} s; workers and their sandboxes {b.worker_cpu_s:.1f} core-s "
        f"({1000 * b.worker_cpu_s / max(1, n):.0f} ms per submission), "
        f"everything else (LMS, database, broker, this benchmark) "
        f"{b.machine_cpu_s - b.worker_cpu_s:.1f} core-s",
        f"  submit -> graded stored:  p50 {b.percentile(50, b.stored_latencies):.2f} s, "
        f"p95 {b.percentile(95, b.stored_latencies):.2f} s, p99 {b.percentile(99, b.stored_latencies):.2f} s",
    ]
    for error in (b.submit_errors + b.poll_errors)[:10]:
        lines.append(f"    ! {error}")
    return "\n".join(lines)


# ---- faults (as tests/plugin/test_faults.py runs them, larger) ------------------------------

SLOW = "import time\ndef add(a, b):\n    time.sleep(0.25)\n    return a + b"
SLOW_ANSWERS = [(SLOW, 3.0), ("import time\ndef add(a, b):\n    time.sleep(0.25)\n    return a - b", 0.0)]
"""Answers whose tests take about a second, so that a fault lands while submissions are graded."""
FAULT_SETTINGS = {"SABAQ_GRADE_TIMEOUT": "20", "SABAQ_VISIBILITY_MARGIN": "5", "SABAQ_QUEUE_TIMEOUT": "30",
                  "SABAQ_CALLBACK_TIMEOUT": "2"}


def _fault_run(fault: Fault | None, n: int, workers: int, common: dict[str, Any], **more: Any) -> Burst:
    settings = {**FAULT_SETTINGS, **more.pop("settings", {})}
    return run_burst(n, workers, **common, settings=settings, reconcile_every=1.0, fault=fault, stall=300.0,
                     answers=SLOW_ANSWERS, **more)


def _kill_workers(tmp: Path, n: int, workers: int, common: dict[str, Any]) -> Burst:
    def kill(faults: Faults) -> None:
        for _ in range(5):
            time.sleep(2.0)
            faults.kill_worker(mid_grade=30.0)
    return _fault_run(kill, n, workers, common)


def _restart(kind: str) -> Callable[[Path, int, int, dict[str, Any]], Burst]:
    import private_servers

    def run(tmp: Path, n: int, workers: int, common: dict[str, Any]) -> Burst:
        server_kind = common["broker"] if kind == "broker" else "mariadb"
        with private_servers.running(server_kind, tmp / server_kind) as server:
            def restart(faults: Faults) -> None:
                time.sleep(2.0)
                with faults.outage() if kind == "db" else contextlib.nullcontext():
                    server.restart(down=5.0)
            if kind == "broker":
                return _fault_run(restart, n, workers, common, broker_url=server.url)
            return _fault_run(restart, n, workers, {**common, "store": "mariadb"}, store_url=server.url)
    return run


def _lms_down(tmp: Path, n: int, workers: int, common: dict[str, Any]) -> Burst:
    def down(faults: Faults) -> None:
        time.sleep(1.0)
        faults.lms_down(60.0)
    return _fault_run(down, n, workers, common)


def _callbacks_to(answer: int | None) -> Callable[[Path, int, int, dict[str, Any]], Burst]:
    """Callbacks go to a server that answers ``answer`` to everything, or (None) never answers."""
    def run(tmp: Path, n: int, workers: int, common: dict[str, Any]) -> Burst:
        import socket
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        class Failing(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(answer or 500)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        if answer is None:
            with socket.socket() as silent:
                silent.bind(("127.0.0.1", 0))
                silent.listen(1024)
                url = f"http://127.0.0.1:{silent.getsockname()[1]}"
                return _fault_run(None, n, workers, common, settings={"SABAQ_CALLBACK_BASE_URL": url})
        server = ThreadingHTTPServer(("127.0.0.1", 0), Failing)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            url = f"http://127.0.0.1:{server.server_address[1]}"
            return _fault_run(None, n, workers, common, settings={"SABAQ_CALLBACK_BASE_URL": url})
        finally:
            server.shutdown()
            server.server_close()
    return run


FAULTS: dict[str, Callable[[Path, int, int, dict[str, Any]], Burst]] = {
    "kill-workers": _kill_workers,
    "broker-restart": _restart("broker"),
    "db-restart": _restart("db"),
    "lms-down": _lms_down,
    "callback-errors": _callbacks_to(500),
    "callback-timeouts": _callbacks_to(None),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=None, help="learners (default 500; 100 with --scaling)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--broker", choices=["redis", "rabbitmq"], default="redis")
    parser.add_argument("--store", choices=["postgresql", "mariadb", "sqlite"], default="postgresql")
    parser.add_argument("--threads", type=int, default=32, help="concurrent submits")
    parser.add_argument("--pollers", type=int, default=8, help="threads polling status")
    parser.add_argument("--interval", type=float, default=0.0,
                        help="seconds between one learner's polls (default 0: the page's own schedule)")
    parser.add_argument("--scaling", action="store_true", help="run with 1 and with 2 workers")
    parser.add_argument("--fault", choices=sorted(FAULTS), help="do this to the burst while it drains")
    args = parser.parse_args()
    common = {"broker": args.broker, "store": args.store, "threads": args.threads, "pollers": args.pollers,
              "interval": args.interval, "progress": True}
    if args.fault:
        with tempfile.TemporaryDirectory(prefix="sabaq-fault-") as tmp:
            burst = FAULTS[args.fault](Path(tmp), args.submissions or 100, args.workers, common)
        print(describe(burst), flush=True)
        return 0 if burst.graded + burst.errors == burst.submissions and not burst.lost else 1
    if not args.scaling:
        burst = run_burst(args.submissions or 500, args.workers, **common)
        print(describe(burst), flush=True)
        return 0 if burst.graded + burst.errors == burst.submissions and not burst.lost else 1
    results = []
    for workers in (1, 2):
        burst = run_burst(args.submissions or 100, workers, **common)
        print(describe(burst), flush=True)
        results.append(burst)
    one, two = results
    print("scaling")
    print(f"  1 worker:  {one.throughput:.2f} submissions/s; 2 workers: {two.throughput:.2f} submissions/s")
    print(f"  throughput ratio 2 / 1: {two.throughput / one.throughput:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
