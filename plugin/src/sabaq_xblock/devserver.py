"""Django settings for running the block in the XBlock SDK workbench (demo and tests).

``DJANGO_SETTINGS_MODULE=sabaq_xblock.devserver``. Adds to the workbench's own
settings: a ``settings`` service that serves ``XBLOCK_SETTINGS`` (built from
``SABAQ_*`` environment variables), a ``user`` service in which workbench users
whose name starts with ``staff`` are course staff, and the request's language
from ``Accept-Language`` (English or Urdu). Learners and visitors reach only
what a learner may see: the demo's own URLs (``devurls``) and templates, no
debug pages, CSRF checks on every handler but the grader's signed callback.
Not for production: the LMS brings its own services.
"""

from __future__ import annotations

import os
from pathlib import Path

from workbench.settings import *  # noqa: F403
from workbench.settings import MIDDLEWARE, TEMPLATES, WORKBENCH

LANGUAGES = [("en", "English"), ("ur", "Urdu")]
LANGUAGE_CODE = "en"
MIDDLEWARE = [*MIDDLEWARE]
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.common.CommonMiddleware"),
                  "django.middleware.locale.LocaleMiddleware")
# after the session: a ?student=staff... request needs a signed-in session (see devauth)
MIDDLEWARE.insert(MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware") + 1,
                  "sabaq_xblock.devauth.StaffSignInMiddleware")
ROOT_URLCONF = "sabaq_xblock.devurls"
DEBUG = False  # Django's debug pages show settings and the locals of every frame
XBLOCK_SETTINGS = {
    "sabaq_notebook": {
        key.removeprefix("SABAQ_"): value
        for key, value in os.environ.items()
        if key.startswith("SABAQ_") and key not in ("SABAQ_SCENARIO_DIR", "SABAQ_PORT")
    }
}
WORKBENCH = {
    **WORKBENCH,
    "services": {
        **WORKBENCH.get("services", {}),
        "settings": "sabaq_xblock.devservices.SettingsService",
        "user": "sabaq_xblock.devservices.DevUserService",
    },
}

TEMPLATES = [{
    **TEMPLATES[0],
    "DIRS": [str(Path(__file__).parent / "devtemplates"), *TEMPLATES[0]["DIRS"]],
    "OPTIONS": {**TEMPLATES[0].get("OPTIONS", {}), "debug": False},
}]
