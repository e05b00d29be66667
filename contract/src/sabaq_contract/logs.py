"""Structured logs: one JSON object per line, carrying a submission's id from block to worker.

The block's lifecycle (``queued``, ``started``, ``finished``, ``requeued``, ``published``) and
the worker's grade task (``received``, ``graded``, ``callback``) log through the standard
``logging`` module with these fields in ``extra=`` (``fields`` builds them), so one
``submission_id`` (and the run's ``token``, which is also its Celery task id) can be followed
through every process:

=================  ==========================================================
``event``          what happened (the names above)
``submission_id``  the submission
``block_id``       its block (where the logging side knows it)
``state``          the submission's state after the event
``run``            which run of the submission (1 for the first)
``token``          the run's lease token
=================  ==========================================================

plus any other ``extra=`` field (``error_kind``, ``status``, ``seconds``, ...). ``JsonFormatter``
writes a record as ``{"ts", "level", "logger", "message", ...fields}``. In the LMS, name it in
Django's ``LOGGING`` (``"()": "sabaq_contract.logs.JsonFormatter"``); a worker turns it on with
``SABAQ_LOG_FORMAT=json`` (``from_environment``).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Iterable, Mapping
from typing import IO, Any

LOGGERS = ("sabaq_xblock", "sabaq_grading")
FORMAT_ENV = "SABAQ_LOG_FORMAT"
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


def fields(event: str, submission_id: str, **more: Any) -> dict[str, Any]:
    """The ``extra=`` of a lifecycle or task event (fields that are None are left out)."""
    return {"event": event, "submission_id": submission_id, **{k: v for k, v in more.items() if v is not None}}


class JsonFormatter(logging.Formatter):
    """A log record as one line of JSON: time, level, logger, message and the ``extra=`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        out.update({key: value for key, value in vars(record).items()
                    if key not in _STANDARD and not key.startswith("_")})
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str, ensure_ascii=False, separators=(",", ":"))


class _Handler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler ``install`` adds (so installing twice adds one)."""


def install(stream: IO[str] | None = None, names: Iterable[str] = LOGGERS,
            level: int = logging.INFO) -> logging.Handler:
    """Write the ``names`` loggers' records of ``level`` and above to ``stream`` as JSON lines.

    Their records stop there (no propagation to the root logger's handlers, such as Celery's
    plain-text one), so each is written once.
    """
    handler = _Handler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in names:
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if isinstance(h, _Handler)]:
            logger.removeHandler(old)
        logger.addHandler(handler)
        logger.propagate = False
        logger.setLevel(min(logger.level or level, level))
    return handler


def uninstall(handler: logging.Handler, names: Iterable[str] = LOGGERS) -> None:
    """Remove what ``install`` added."""
    for name in names:
        logger = logging.getLogger(name)
        logger.removeHandler(handler)
        logger.propagate = True


def from_environment(environ: Mapping[str, str] | None = None) -> logging.Handler | None:
    """``install()`` when ``SABAQ_LOG_FORMAT=json``; the handler, or None."""
    env = os.environ if environ is None else environ
    return install() if env.get(FORMAT_ENV, "").strip().lower() == "json" else None
