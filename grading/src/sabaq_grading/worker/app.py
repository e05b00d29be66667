"""The Celery application, configured from ``SABAQ_*`` environment variables."""

from __future__ import annotations

import os
from pathlib import Path

from celery import Celery


def data_dir() -> Path:
    """The directory holding the embedded broker and result databases."""
    return Path(os.environ.get("SABAQ_DATA_DIR") or "var/sabaq").resolve()


def make_app() -> Celery:
    """A Celery app for the grading tasks, with at-least-once delivery."""
    data = data_dir()
    data.mkdir(parents=True, exist_ok=True)
    broker = os.environ.get("SABAQ_BROKER_URL") or f"sqla+sqlite:///{data / 'broker.sqlite'}"
    backend = os.environ.get("SABAQ_RESULT_BACKEND") or f"db+sqlite:///{data / 'results.sqlite'}"
    queue = os.environ.get("SABAQ_QUEUE") or "sabaq"
    celery = Celery("sabaq", broker=broker, backend=backend)
    celery.conf.update(
        task_default_queue=queue,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_track_started=True,
        # A task is acknowledged only after it finished, and redelivered if the
        # worker died while grading: no submission is lost with its worker.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        result_expires=7 * 24 * 3600,
        worker_hijack_root_logger=False,
    )
    if broker.startswith("sqla+"):
        # kombu's SQLAlchemy transport hands every transport option to create_engine,
        # so its polling interval (1 s by default) can only be set on the class.
        from kombu.transport import sqlalchemy as sqla_transport

        sqla_transport.Transport.polling_interval = 0.1
    return celery


app = make_app()
