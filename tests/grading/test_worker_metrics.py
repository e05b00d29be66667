"""The grading worker's Prometheus metrics, scraped over loopback.

In-process: the real ``sabaq.grade`` task function grades a real submission in the real
sandbox, refuses one over its limits and fails on a broken assignment, with the metrics
served as a worker serves them. Then a real ``prefork`` worker with two children, started
with ``SABAQ_METRICS_PORT``, grades tasks from the embedded broker, and its one endpoint
counts what every child did.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import nbformat
import pytest
from nbformat import NotebookNode
from prometheus_client.parser import text_string_to_metric_families

from sabaq_contract import settings as deployment
from sabaq_contract.tasks import GRADE_TASK, GradeRequest
from sabaq_grading.worker import metrics, tasks

BIN = Path(sys.executable).parent
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _scrape(port: int) -> Samples:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
        body = answer.read().decode("utf-8")
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(body) for sample in family.samples}


def _value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[int]:
    port = _free_port()
    metrics.setup(tmp_path / "metrics")
    server = metrics.serve(port, "127.0.0.1")
    try:
        yield port
    finally:
        server.shutdown()
        metrics.stop()


def test_the_grade_task_is_counted_timed_and_served(
    served: int, instructor: NotebookNode, release: NotebookNode,
    answered: Callable[[NotebookNode, dict[str, str]], NotebookNode], correct: dict[str, str],
) -> None:
    source, right = nbformat.writes(instructor), nbformat.writes(answered(release, correct))
    graded = tasks.grade(source, right, name="s-1", token="t-1")
    assert graded["status"] == "graded" and graded["score"] > 0
    refused = tasks.grade(source, right, name="s-2", token="t-2", limits={"max_cells": 1})
    assert refused["error"]["kind"] == "too_large"
    with pytest.raises(Exception):  # noqa: B017  (whatever the engine raises, it is counted)
        tasks.grade("not a notebook", right, name="s-3", token="t-3")

    seen = _scrape(served)
    assert _value(seen, "sabaq_grading_submissions_total", status="graded", error_kind="") == 1
    assert _value(seen, "sabaq_grading_submissions_total", status="error", error_kind="too_large") == 1
    assert _value(seen, "sabaq_grading_submissions_total", status="failed", error_kind="exception") == 1
    assert _value(seen, "sabaq_grading_duration_seconds_count") == 3
    assert _value(seen, "sabaq_grading_duration_seconds_bucket", le="+Inf") == 3
    took = _value(seen, "sabaq_grading_duration_seconds_sum")
    code = _value(seen, "sabaq_grading_code_seconds_sum")
    overhead = _value(seen, "sabaq_grading_overhead_seconds_sum")
    assert _value(seen, "sabaq_grading_code_seconds_count") == 1 == _value(seen, "sabaq_grading_overhead_seconds_count")
    assert 0 < code < took and overhead > 0
    assert code + overhead <= took + 1e-6
    assert _value(seen, "sabaq_grading_in_progress") == 0


def test_callbacks_are_counted_by_outcome(served: int, instructor: NotebookNode, release: NotebookNode) -> None:
    port = _free_port()  # nobody listens: the block "never answers"
    url = f"http://127.0.0.1:{port}/handler/grading_result"
    source, blank, kept = nbformat.writes(instructor), nbformat.writes(release), tasks.settings
    try:
        tasks.settings = deployment.load({"CALLBACK_SECRET": "s", "CALLBACK_TIMEOUT": "0.5"}, {})
        report = tasks.grade(source, blank, name="s-4", token="t-4", callback={"url": url}, limits={"max_cells": 1})
        assert report["error"]["kind"] == "too_large"
        assert tasks.OUTBOX.drain(timeout=30)  # the callbacks leave after the task, from the outbox
        seen = _scrape(served)
        assert _value(seen, "sabaq_grading_callbacks_total", event="started", outcome="failed") == 1
        assert _value(seen, "sabaq_grading_callbacks_total", event="finished", outcome="failed") == 1
        tasks.settings = deployment.load({}, {})  # no secret: nothing is sent
        tasks.grade(source, blank, name="s-5", token="t-5", callback={"url": url}, limits={"max_cells": 1})
        assert tasks.OUTBOX.drain(timeout=30)
    finally:
        tasks.settings = kept
    seen = _scrape(served)
    assert _value(seen, "sabaq_grading_callbacks_total", event="started", outcome="skipped") == 1
    assert _value(seen, "sabaq_grading_callbacks_total", event="finished", outcome="skipped") == 1


@contextlib.contextmanager
def _worker(env: dict[str, str], cwd: Path) -> Iterator[subprocess.Popen[bytes]]:
    log = (cwd / "worker.log").open("wb")
    proc = subprocess.Popen(
        [str(BIN / "celery"), "-A", "sabaq_grading.worker", "worker", "--pool", "prefork", "-c", "2",
         "-Q", env["SABAQ_QUEUE"], "--without-heartbeat", "--without-gossip", "--without-mingle", "-l", "warning"],
        cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.close()


@contextlib.contextmanager
def _block_endpoint(secret: str) -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """An HTTP endpoint that checks the callbacks' signatures as the block does and records
    (event, token) of each."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from sabaq_contract import callbacks, signing

    got: list[tuple[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            signing.verify(secret, body, self.headers[signing.TIMESTAMP_HEADER], self.headers[signing.SIGNATURE_HEADER])
            message = callbacks.parse(json.loads(body))
            got.append((message.event, message.token))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/cb", got
    finally:
        server.shutdown()
        server.server_close()


def test_a_prefork_worker_serves_every_childs_figures(tmp_path: Path, instructor: NotebookNode,
                                                     release: NotebookNode) -> None:
    """Two pool children: the figures of both, and the callbacks of both (each child starts its
    own outbox after the fork; every callback arrives, signed)."""
    from sabaq_grading.worker.app import make_app

    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SABAQ_")}
    env.update(SABAQ_DATA_DIR=str(tmp_path / "data"), SABAQ_QUEUE=f"metrics-{uuid.uuid4().hex[:8]}",
               SABAQ_METRICS_PORT=str(port), SABAQ_METRICS_ADDR="127.0.0.1", SABAQ_CALLBACK_SECRET="prefork-secret",
               PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}")
    if os.geteuid() == 0:
        env["C_FORCE_ROOT"] = "1"
    settings = deployment.load({}, env)
    app = make_app(settings)
    source, blank = nbformat.writes(instructor), nbformat.writes(release)
    with _block_endpoint("prefork-secret") as (url, got), _worker(env, tmp_path) as proc:
        results = [app.send_task(GRADE_TASK, args=request.args(), kwargs=request.kwargs(), queue=settings.queue)
                   for request in (GradeRequest(source, blank, f"s-{n}", f"t-{n}", callback_url=url,
                                                limits={"max_cells": 1}) for n in range(6))]
        reports = [result.get(timeout=120, interval=0.1) for result in results]
        assert [r["error"]["kind"] for r in reports] == ["too_large"] * 6
        deadline, seen = time.monotonic() + 30, {}
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                seen = _scrape(port)
                if _value(seen, "sabaq_grading_submissions_total", status="error", error_kind="too_large") == 6:
                    break
            assert proc.poll() is None, (tmp_path / "worker.log").read_text()
            time.sleep(0.2)
        assert _value(seen, "sabaq_grading_submissions_total", status="error", error_kind="too_large") == 6
        assert _value(seen, "sabaq_grading_duration_seconds_count") == 6
        assert _value(seen, "sabaq_grading_in_progress") == 0
        files = sorted(path.name for path in (tmp_path / "data" / "metrics" / str(port)).glob("*.db"))
        assert files, "the children keep their figures in the multiprocess directory"
        deadline = time.monotonic() + 30
        while len(got) < 12 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert sorted(got) == sorted((event, f"t-{n}") for n in range(6) for event in ("finished", "started"))
        for n in range(6):  # in order, run by run
            assert got.index(("started", f"t-{n}")) < got.index(("finished", f"t-{n}"))
    assert json.dumps(reports)  # the reports are the task results, unchanged


def test_a_worker_with_more_sandboxes_than_cores_is_warned_about() -> None:
    """Celery's own pool classes (a WorkController is not built here: building one sends
    worker_init, which would set this test process up as a worker): prefork runs one sandbox
    per pool process; solo one in all."""
    from celery.concurrency import prefork, solo

    from sabaq_grading.sandboxes import oversubscribed
    from sabaq_grading.worker.tasks import oversubscribed_worker

    cores = len(os.sched_getaffinity(0))
    assert oversubscribed(cores) is None
    assert oversubscribed_worker(prefork.TaskPool.__module__, cores) is None
    assert oversubscribed_worker(solo.TaskPool.__module__, cores + 1) is None
    warning = oversubscribed_worker(prefork.TaskPool.__module__, cores + 1)
    assert warning is not None and f"more than the {cores} cores" in warning
