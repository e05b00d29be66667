"""The Celery application, configured from the contract's deployment settings."""

from __future__ import annotations

from celery import Celery

from sabaq_contract import broker
from sabaq_contract import settings as deployment


def make_app(settings: deployment.Settings | None = None) -> Celery:
    """A Celery app for the grading tasks, with at-least-once delivery (``sabaq_contract.broker``)."""
    config = settings or deployment.load()
    config.data_dir.mkdir(parents=True, exist_ok=True)
    celery = Celery("sabaq", broker=config.broker_url, backend=config.result_backend)
    celery.conf.update(**broker.celery_config(config, "worker"), worker_hijack_root_logger=False)
    if config.broker_kind == "sqlalchemy":
        # kombu's SQLAlchemy transport hands every transport option to create_engine,
        # so its polling interval (1 s by default) can only be set on the class.
        from kombu.transport import sqlalchemy as sqla_transport

        sqla_transport.Transport.polling_interval = 0.1
    return celery


settings = deployment.load()
app = make_app(settings)
