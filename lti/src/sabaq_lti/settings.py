"""Django settings of the tool: ``DJANGO_SETTINGS_MODULE=sabaq_lti.settings``.

Everything has an embedded default under one data directory, so ``sabaq-lti serve`` runs
with no configuration at all; a site sets these environment variables:

=========================  ===================================================================
``SABAQ_LTI_BASE_URL``      the tool's public URL (``https://lti.example.edu``); default
                            ``http://127.0.0.1:<port>``: every URL given to a platform starts so
``SABAQ_LTI_DATA_DIR``      ``$SABAQ_DATA_DIR/lti`` (``var/sabaq/lti``): its database and secret
``SABAQ_LTI_DATABASE_URL``  ``sqlite:///<data>/tool.sqlite``; ``postgresql://...`` or
                            ``mysql://...`` for a large site
``SABAQ_LTI_SECRET_KEY``    Django's secret; default one made once in the data directory
``SABAQ_LTI_SESSION_HOURS`` 8: how long a launch's pages and handlers stay usable
=========================  ===================================================================

Grading reads the block's own deployment settings (``SABAQ_*``: broker, submissions
database, callback secret; see ``sabaq_contract.settings``), as the block does in the LMS.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import unquote, urlsplit


def data_dir() -> Path:
    given = os.environ.get("SABAQ_LTI_DATA_DIR")
    if given:
        return Path(given).resolve()
    return (Path(os.environ.get("SABAQ_DATA_DIR") or "var/sabaq") / "lti").resolve()


def _secret(folder: Path) -> str:
    given = os.environ.get("SABAQ_LTI_SECRET_KEY")
    if given:
        return given
    path = folder / "secret_key"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def database(url: str) -> dict[str, object]:
    """Django's ``DATABASES["default"]`` for a ``sqlite:///``, ``postgresql://`` or ``mysql://`` URL."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": unquote(parts.path[1:] if parts.path.startswith("//")
                                                                     else parts.path),
                "OPTIONS": {"timeout": 30}}
    engines = {"postgresql": "django.db.backends.postgresql", "postgres": "django.db.backends.postgresql",
               "mysql": "django.db.backends.mysql"}
    scheme = parts.scheme.split("+")[0]
    if scheme not in engines:
        raise ValueError(f"SABAQ_LTI_DATABASE_URL: unsupported database {parts.scheme!r} "
                         "(use sqlite:///, postgresql:// or mysql://)")
    return {"ENGINE": engines[scheme], "NAME": parts.path.lstrip("/"), "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""), "HOST": parts.hostname or "", "PORT": str(parts.port or "")}


DATA_DIR = data_dir()
DATA_DIR.mkdir(parents=True, exist_ok=True)
SECRET_KEY = _secret(DATA_DIR)
DEBUG = False
ALLOWED_HOSTS = ["*"]  # the tool answers whatever name its proxy gives; every URL it hands out is BASE_URL's
INSTALLED_APPS = ["sabaq_lti"]
MIDDLEWARE = ["django.middleware.security.SecurityMiddleware", "django.middleware.common.CommonMiddleware"]
ROOT_URLCONF = "sabaq_lti.urls"
DATABASES = {"default": database(os.environ.get("SABAQ_LTI_DATABASE_URL")
                                 or f"sqlite:///{DATA_DIR / 'tool.sqlite'}")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True,
              "OPTIONS": {"debug": False}}]
USE_I18N = True
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ur", "Urdu")]
USE_TZ = True
SECURE_REFERRER_POLICY = "no-referrer"  # the pages' URLs carry the launch's key
SECURE_CONTENT_TYPE_NOSNIFF = True
# the block's handlers apply their own, smaller limits (at most 16 MiB: a grader's report); the
# login, launch and picker take at most 256 KB (views.MAX_FORM_BYTES)
DATA_UPLOAD_MAX_MEMORY_SIZE = 17 * 1024 * 1024
LOGGING = {"version": 1, "disable_existing_loggers": False,
           "filters": {"redact": {"()": "sabaq_lti.logs.RedactSessionKeys"}},
           "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact"]}},
           "loggers": {"sabaq_lti": {"handlers": ["console"], "level": "INFO"},
                       "sabaq_xblock": {"handlers": ["console"], "level": "WARNING"},
                       "django.request": {"handlers": ["console"], "level": "ERROR"}}}
SABAQ_LTI_SESSION_SECONDS = float(os.environ.get("SABAQ_LTI_SESSION_HOURS", "8")) * 3600
SABAQ_JOB_PUBLISHER = "sabaq_lti.runtime.job_publisher"
