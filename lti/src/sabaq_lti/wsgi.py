"""The tool as a WSGI application (``gunicorn sabaq_lti.wsgi``), with its settings."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sabaq_lti.settings")
application = get_wsgi_application()
