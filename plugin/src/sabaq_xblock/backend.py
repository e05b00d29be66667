"""The grading backend as the block sees it: enqueue a submission, poll its state.

The default backend talks to ``sabaq_grading.worker`` by Celery task name only
(``send_task``), so the LMS never imports the grading engine. With the embedded
defaults the broker is kombu's SQLAlchemy transport on SQLite and results go to
a SQLite result backend, so a laptop runs everything without servers.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Protocol

from .config import Settings
from .errors import BackendUnavailable

GRADE_TASK = "sabaq.grade"
PREPARE_TASK = "sabaq.prepare"


@dataclass(frozen=True)
class Poll:
    """A task's state: ``queued``, ``running`` or ``done`` (then ``result`` is set)."""

    state: str
    result: Any = None


class GradingBackend(Protocol):
    """What the block needs from a grading service."""

    def enqueue(
        self,
        instructor: str,
        submission: str,
        *,
        name: str,
        callback: dict[str, str] | None,
        files: dict[str, str] | None = None,
        limits: dict[str, int] | None = None,
    ) -> str: ...

    def poll(self, task_id: str) -> Poll: ...

    def prepare(self, instructor: str, timeout: float) -> dict[str, Any]: ...


_APPS: dict[tuple[str, str], Any] = {}
_LOCK = threading.Lock()


def _celery_app(settings: Settings) -> Any:
    key = (settings.broker_url, settings.result_backend)
    with _LOCK:
        if key not in _APPS:
            from celery import Celery

            settings.data_dir.mkdir(parents=True, exist_ok=True)
            app = Celery("sabaq-xblock", broker=key[0], backend=key[1], set_as_current=False)
            app.conf.update(
                task_serializer="json",
                result_serializer="json",
                accept_content=["json"],
                broker_connection_retry_on_startup=True,
                result_extended=False,
            )
            _APPS[key] = app
        return _APPS[key]


class CeleryBackend:
    """Grading through Celery workers running ``sabaq_grading.worker``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def enqueue(
        self,
        instructor: str,
        submission: str,
        *,
        name: str,
        callback: dict[str, str] | None,
        files: dict[str, str] | None = None,
        limits: dict[str, int] | None = None,
    ) -> str:
        """Queue ``sabaq.grade``; ``files`` maps data file names to base64 content.

        ``limits`` (``max_notebook_bytes``, ``max_cells``) are the lecturer's: the worker
        refuses a submission over them before it runs any of its code.
        """
        app = _celery_app(self.settings)
        kwargs: dict[str, Any] = {"name": name, "callback": callback, "files": files or None}
        if limits:
            kwargs["limits"] = limits
        try:
            result = app.send_task(
                GRADE_TASK,
                args=[instructor, submission],
                kwargs=kwargs,
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
                return Poll("done", result.result)
            if state in ("FAILURE", "REVOKED"):
                return Poll("failed", str(result.result))
        except Exception as exc:
            raise BackendUnavailable("backend_down", str(exc)) from exc
        return Poll("running" if state in ("STARTED", "RETRY") else "queued")

    def prepare(self, instructor: str, timeout: float) -> dict[str, Any]:
        app = _celery_app(self.settings)
        try:
            result = app.send_task(PREPARE_TASK, args=[instructor], queue=self.settings.queue)
            value = result.get(timeout=timeout, interval=0.2)
        except Exception as exc:
            raise BackendUnavailable("backend_down", str(exc)) from exc
        if not isinstance(value, dict):
            raise BackendUnavailable("backend_down", "unexpected answer from prepare")
        return value
