"""Prometheus metrics of a grading worker, served over HTTP when ``SABAQ_METRICS_PORT`` is set.

==========================================  ===============================================
``sabaq_grading_submissions_total``          counter, ``status`` (``graded``, ``error``,
                                             ``failed`` for a task that raised) and
                                             ``error_kind`` (the report's, empty when graded)
``sabaq_grading_duration_seconds``           histogram: one grade task, received to report
                                             (its callbacks leave afterwards, from the outbox)
``sabaq_grading_code_seconds``               histogram: the student's code (``code_ms``)
``sabaq_grading_overhead_seconds``           histogram: the task's time outside the student's
                                             code (sandbox, tests, bookkeeping)
``sabaq_grading_in_progress``                gauge: grade tasks running now
``sabaq_grading_callbacks_total``            counter, ``event`` (``started``, ``finished``)
                                             and ``outcome`` (``sent``, ``gone``, ``refused``,
                                             ``failed``, ``skipped``)
==========================================  ===============================================

Off by default. With ``SABAQ_METRICS_PORT`` the worker's main process serves ``/metrics`` on
that port (``SABAQ_METRICS_ADDR``, default all interfaces) from ``worker_ready``. The figures
are kept in prometheus_client's multiprocess mode, in ``SABAQ_METRICS_DIR`` (default
``<DATA_DIR>/metrics/<port>``, emptied when the worker starts), so a ``prefork`` pool's children
count into the one endpoint, and ``solo`` and ``threads`` pools work the same way; a child that
exits is marked dead, so the in-progress gauge counts only live processes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from celery import signals

PORT_ENV, ADDR_ENV, DIR_ENV = "SABAQ_METRICS_PORT", "SABAQ_METRICS_ADDR", "SABAQ_METRICS_DIR"
SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)


@dataclass
class Metrics:
    """The worker's metric objects (in multiprocess mode)."""

    directory: Path
    submissions: Any
    duration: Any
    code: Any
    overhead: Any
    in_progress: Any
    callbacks: Any


_CURRENT: list[Metrics] = []


def current() -> Metrics | None:
    """The metrics being kept in this process, or None when they are off."""
    return _CURRENT[0] if _CURRENT else None


def setup(directory: Path) -> Metrics:
    """Keep metrics in ``directory`` (emptied first): call before a prefork pool forks."""
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    from prometheus_client import Counter, Gauge, Histogram, values

    values.ValueClass = values.MultiProcessValue()  # type: ignore[no-untyped-call]  # whatever imported prometheus_client first
    made = Metrics(
        directory=directory,
        submissions=Counter("sabaq_grading_submissions", "Grade tasks done, by outcome.",
                            ["status", "error_kind"], registry=None),
        duration=Histogram("sabaq_grading_duration_seconds", "One grade task, received to report.",
                           buckets=SECONDS, registry=None),
        code=Histogram("sabaq_grading_code_seconds", "Time in the student's code.", buckets=SECONDS,
                       registry=None),
        overhead=Histogram("sabaq_grading_overhead_seconds", "A grade task's time outside the student's code.",
                           buckets=SECONDS, registry=None),
        in_progress=Gauge("sabaq_grading_in_progress", "Grade tasks running now.", registry=None,
                          multiprocess_mode="livesum"),
        callbacks=Counter("sabaq_grading_callbacks", "Callbacks to the block, by event and outcome.",
                          ["event", "outcome"], registry=None),
    )
    _CURRENT[:] = [made]
    return made


def serve(port: int, addr: str = "") -> Any:
    """Serve every process's metrics on ``addr:port``; the HTTP server (``shutdown()`` stops it)."""
    from prometheus_client import CollectorRegistry, multiprocess, start_http_server

    made = current()
    if made is None:
        raise RuntimeError("metrics.setup() must come before metrics.serve()")
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(made.directory))  # type: ignore[no-untyped-call]
    server, _thread = start_http_server(port, addr=addr, registry=registry)
    return server


def stop() -> None:
    """Keep no more metrics in this process (tests)."""
    from prometheus_client import values

    _CURRENT.clear()
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    values.ValueClass = values.MutexValue


class Run:
    """One grade task being measured: ``done(report)`` records how it ended."""

    def __init__(self) -> None:
        self.report: dict[str, Any] | None = None

    def done(self, report: dict[str, Any]) -> dict[str, Any]:
        self.report = report
        return report


@contextmanager
def grading() -> Iterator[Run]:
    """Measure the grade task run inside the block (nothing when metrics are off)."""
    made, run, started = current(), Run(), time.perf_counter()
    if made is None:
        yield run
        return
    made.in_progress.inc()
    try:
        yield run
    finally:
        made.in_progress.dec()
        took = time.perf_counter() - started
        made.duration.observe(took)
        report = run.report
        if report is None:
            made.submissions.labels("failed", "exception").inc()
        else:
            error = report.get("error")
            error = error if isinstance(error, dict) else {}
            kind = str(error.get("kind", "")) if report.get("status") != "graded" else ""
            made.submissions.labels(str(report.get("status", "error")), kind).inc()
            code_ms = (report.get("timings") or {}).get("code_ms")
            if isinstance(code_ms, int | float):
                made.code.observe(code_ms / 1000)
                made.overhead.observe(max(0.0, took - code_ms / 1000))


def callback(event: str, status: int, tried: bool = True) -> str:
    """Count a callback that the block answered with HTTP ``status`` (0: no answer), or that was
    not ``tried`` (no callback secret); its outcome."""
    from sabaq_contract.callbacks import GONE

    outcome = ("skipped" if not tried else "sent" if 200 <= status < 300 else "gone" if status == GONE else
               "failed" if status == 0 or status >= 500 else "refused")
    made = current()
    if made is not None:
        made.callbacks.labels(event, outcome).inc()
    return outcome


def _port() -> int | None:
    raw = os.environ.get(PORT_ENV, "").strip()
    if not raw or raw == "0":
        return None
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{PORT_ENV}={raw!r} is not a port number") from None


@signals.worker_init.connect  # type: ignore[untyped-decorator]
def _on_worker_init(**_: Any) -> None:
    port = _port()
    if port is not None:
        from .app import settings

        setup(Path(os.environ.get(DIR_ENV) or settings.data_dir / "metrics" / str(port)))


@signals.worker_ready.connect  # type: ignore[untyped-decorator]
def _on_worker_ready(**_: Any) -> None:
    port = _port()
    if port is not None and current() is not None:
        serve(port, os.environ.get(ADDR_ENV, ""))


@signals.worker_process_shutdown.connect  # type: ignore[untyped-decorator]
def _on_child_exit(pid: int | None = None, **_: Any) -> None:
    made = current()
    if made is not None:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid or os.getpid(), str(made.directory))  # type: ignore[no-untyped-call]
