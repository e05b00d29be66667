"""The Celery side of grading: the app and the tasks the XBlock calls by name.

Start a worker with ``celery -A sabaq_grading.worker worker --pool solo -Q sabaq``
(or ``--pool prefork``). Configuration comes from environment variables with
embedded defaults under one data directory, matching the XBlock's:

``SABAQ_DATA_DIR``        default ``var/sabaq``
``SABAQ_BROKER_URL``      default ``sqla+sqlite:///<data dir>/broker.sqlite``
``SABAQ_RESULT_BACKEND``  default ``db+sqlite:///<data dir>/results.sqlite``
``SABAQ_QUEUE``           default ``sabaq``
``SABAQ_CALLBACK_SECRET`` shared secret for signing callbacks to the block (optional)
"""

from __future__ import annotations

from .app import app
from .tasks import grade, prepare

__all__ = ["app", "grade", "prepare"]
