"""The grading backend as the block sees it: queue a grading, ask a task's state, prepare, practise.

The default backend talks to ``sabaq_grading.worker`` by task name only (``send_task``,
names and payloads from ``sabaq_contract.tasks``), so the LMS never imports the grading
engine; its Celery settings are the worker's (``sabaq_contract.broker``). With the
embedded defaults the broker is kombu's SQLAlchemy transport on SQLite and results go to
a SQLite result backend, so a laptop runs everything without servers.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

from sabaq_contract import broker
from sabaq_contract import report as reports
from sabaq_contract.errors import ReportInvalid
from sabaq_contract.settings import Settings
from sabaq_contract.states import State
from sabaq_contract.tasks import GRADE_TASK, PRACTICE_TASK, PREPARE_TASK, GradeRequest, PracticeRequest, practice_result

from .errors import BackendUnavailable, PracticeLate


@dataclass(frozen=True)
class Poll:
    """What the queue says about a run: ``queued`` or ``running`` (as far as it knows), or
    ``graded`` / ``error`` with the run's checked ``report``, or ``lost``."""

    state: State
    report: dict[str, Any] | None = None
    lost: bool = False  # the run ended without a result of its grading: queue it again
    detail: str = ""  # why, for the error if it was the last run


GRADING_FAILURES = frozenset({"TimeLimitExceeded", "SoftTimeLimitExceeded"})
"""Task failures that are the grading's own (it ran past ``GRADE_TIMEOUT``): a final error. Any
other failure happened around the grading (the worker could not store the result, say): the
task ran on grader trouble, and the run is queued again, up to ``MAX_RUNS``."""


class GradingBackend(Protocol):
    """What the block needs from a grading service."""

    def enqueue(self, request: GradeRequest) -> str:
        """Queue ``request``; the task id, which is ``request.token``."""

    def poll(self, task_id: str) -> Poll: ...

    def prepare(self, instructor: str, timeout: float, files: dict[str, str] | None = None) -> dict[str, Any]:
        """The graders' check of an instructor notebook (``files``: its data, base64)."""

    def practice(self, request: PracticeRequest, wait: float) -> dict[str, Any]:
        """Run ``request`` once and wait at most ``wait`` seconds for its result
        (``sabaq_contract.tasks.practice_result``); nothing of it is kept."""


_APPS: dict[tuple[str, str, str], Any] = {}
_LOCK = threading.Lock()


def _celery_app(settings: Settings) -> Any:
    key = (settings.broker_url, settings.result_backend, settings.queue)
    with _LOCK:
        if key not in _APPS:
            from celery import Celery

            settings.data_dir.mkdir(parents=True, exist_ok=True)
            app = Celery("sabaq-xblock", broker=key[0], backend=key[1], set_as_current=False)
            app.conf.update(**broker.celery_config(settings, "block"))
            _APPS[key] = app
        return _APPS[key]


def finished(result: Any) -> Poll:
    """The poll of a task that ended with ``result``: its report if it is one, else an error."""
    try:
        report = reports.check(result)
    except ReportInvalid:
        report = reports.error_report("grader_failure", "the grader returned a malformed report")
    return Poll(State(report["status"]), report)


class CeleryBackend:
    """Grading through Celery workers running ``sabaq_grading.worker``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def enqueue(self, request: GradeRequest) -> str:
        app = _celery_app(self.settings)
        try:
            result = app.send_task(
                GRADE_TASK,
                args=request.args(),
                kwargs=request.kwargs(),
                task_id=request.token or None,
                queue=self.settings.queue,
                retry=True,
                retry_policy={"max_retries": 2, "interval_start": 0.2},
            )
        except Exception as exc:  # kombu raises many transport-specific errors
            raise BackendUnavailable("backend_down", str(exc)) from exc
        return str(result.id)

    def poll(self, task_id: str) -> Poll:
        app = _celery_app(self.settings)
        try:
            result = app.AsyncResult(task_id)
            state = result.state
            if state == "SUCCESS":
                return finished(result.result)
            if state == "FAILURE" and type(result.result).__name__ not in GRADING_FAILURES:
                # not the grading's own failure (storing its result, say): grade it again
                return Poll(State.QUEUED, lost=True, detail=f"the grading task failed: {str(result.result)[:500]}")
            if state in ("FAILURE", "REVOKED"):
                message = f"the grading task failed: {str(result.result)[:500]}"
                return Poll(State.ERROR, reports.error_report("grader_failure", message))
        except Exception as exc:
            raise BackendUnavailable("backend_down", str(exc)) from exc
        return Poll(State.RUNNING if state in ("STARTED", "RETRY") else State.QUEUED)

    def prepare(self, instructor: str, timeout: float, files: dict[str, str] | None = None) -> dict[str, Any]:
        app = _celery_app(self.settings)
        try:
            result = app.send_task(PREPARE_TASK, args=[instructor, dict(files or {})], queue=self.settings.queue)
            value = result.get(timeout=timeout, interval=0.2)
        except Exception as exc:
            raise BackendUnavailable("backend_down", str(exc)) from exc
        if not isinstance(value, dict):
            raise BackendUnavailable("backend_down", "unexpected answer from prepare")
        return value

    def practice(self, request: PracticeRequest, wait: float) -> dict[str, Any]:
        """Send the practice run to the practice queue and wait for it; its stored result is
        forgotten at once. A run no worker took within ``wait`` expires unrun."""
        app = _celery_app(self.settings)
        deadline = time.monotonic() + wait
        try:
            result = app.send_task(PRACTICE_TASK, args=request.args(), kwargs=request.kwargs(),
                                   queue=self.settings.practice_queue or self.settings.queue, expires=wait,
                                   time_limit=int(wait) + 30)
        except Exception as exc:  # kombu's transport errors: nothing was queued
            raise BackendUnavailable("practice_unavailable", str(exc)[:500]) from exc
        try:
            # Celery's own wait counts only its sleeps, not each poll's query: keep the clock here,
            # polling fast at first (a warm worker answers in tens of ms), then less often.
            pause = 0.02
            while not result.ready():
                if time.monotonic() + pause > deadline:
                    raise TimeoutError(f"no practice answer within {wait:g} s")
                time.sleep(pause)
                pause = min(pause * 1.5, 0.25)
            value = result.get(timeout=1.0, propagate=True)
        except Exception as exc:  # the wait ran out, the task failed, or the result store went away
            raise PracticeLate("practice_unavailable", str(exc)[:500]) from exc
        finally:
            with contextlib.suppress(Exception):  # best effort: results expire anyway
                result.forget()
        try:
            return practice_result(value)
        except ValueError as exc:
            raise BackendUnavailable("practice_unavailable", str(exc)) from exc
