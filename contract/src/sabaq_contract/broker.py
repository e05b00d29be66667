"""The Celery settings both ends of the grading queue use, derived from the deployment's.

A task is acknowledged only when it has finished (``acks_late``) and handed back to the
broker if its worker dies (``reject_on_worker_lost``); a worker reserves one task at a
time (prefetch 1), so a burst spreads over every worker and a dead worker holds at most
one. Redis redelivers a task nobody acknowledged after its visibility timeout, which must
outlast the longest grading (``Settings.visibility_timeout``); RabbitMQ redelivers when
the worker's connection closes, and its ``consumer_timeout`` (30 minutes by default) must
outlast ``GRADE_TIMEOUT`` too.
"""

from __future__ import annotations

from typing import Any, Literal

from .settings import Settings


def transport_options(settings: Settings) -> dict[str, Any]:
    """``broker_transport_options`` for the configured broker."""
    if settings.broker_kind == "redis":
        return {"visibility_timeout": int(settings.visibility_timeout)}
    if settings.broker_kind == "amqp":
        return {"confirm_publish": True}
    return {}


Role = Literal["worker", "block"]


def celery_config(settings: Settings, role: Role) -> dict[str, Any]:
    """The Celery configuration (``app.conf.update(**...)``) of block and worker alike, but for
    how long each waits for a result backend that does not answer (:func:`result_retries`)."""
    return {**_shared(settings), **result_retries(role)}


def result_retries(role: Role) -> dict[str, Any]:
    """How long a result backend that does not answer is waited for.

    The worker stores results: a backend that is restarting (a database's fail-over takes
    seconds) is waited for, with backoff, for about a minute, before storing a result gives
    up. The block only reads them, from its reconciler and a handler's wait for a prepare or
    a practice run: it gives up within about a second (the reconciler says the queue is
    unreachable and tries again on its next pass; a handler answers 503), so no request
    thread and no reconciler pass hangs for a minute on a backend that is down.
    """
    if role == "worker":
        return {"result_backend_always_retry": True, "result_backend_max_retries": 12,
                "result_backend_base_sleep_between_retries_ms": 250,
                "result_backend_max_sleep_between_retries_ms": 10_000}
    return {"result_backend_always_retry": True, "result_backend_max_retries": 2,
            "result_backend_base_sleep_between_retries_ms": 100,
            "result_backend_max_sleep_between_retries_ms": 400}


def _shared(settings: Settings) -> dict[str, Any]:
    return {
        "task_default_queue": settings.queue,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "task_acks_on_failure_or_timeout": True,
        "worker_prefetch_multiplier": 1,
        "task_time_limit": int(settings.grade_timeout) or None,
        "broker_transport_options": transport_options(settings),
        "result_backend_transport_options": transport_options(settings),
        "broker_connection_retry_on_startup": True,
        "task_track_started": True,
        "result_extended": False,
        "result_expires": 7 * 24 * 3600,
    }
