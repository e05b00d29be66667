"""The Celery side of grading: the app and the tasks the XBlock calls by name.

Start a worker with ``celery -A sabaq_grading.worker worker --pool solo -Q sabaq``
(or ``--pool prefork``). Its settings are the deployment's (``sabaq_contract.settings``:
``SABAQ_*`` environment variables with embedded defaults under one data directory, the
same the XBlock reads), and so are its broker settings (``sabaq_contract.broker``).
"""

from __future__ import annotations

from .app import app
from .tasks import grade, prepare

__all__ = ["app", "grade", "prepare"]
