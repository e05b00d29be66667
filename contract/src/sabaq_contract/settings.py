"""The deployment settings of block and workers, with their defaults, read in one place.

Values come from the block's ``XBLOCK_SETTINGS["sabaq_notebook"]`` (the ``overrides``)
first, then from ``SABAQ_<NAME>`` environment variables, then from the defaults below,
under one data directory, so an embedded laptop setup needs no configuration at all.

==========================  =============================================================
``DATA_DIR``                 ``var/sabaq``: the embedded broker, results and submissions
``BROKER_URL``               ``sqla+sqlite:///<data>/broker.sqlite``; ``redis://...`` or
                             ``amqp://...`` for a large site
``RESULT_BACKEND``           ``db+sqlite:///<data>/results.sqlite``
``SUBMISSIONS_DB``           ``sqlite:///<data>/submissions.sqlite``; PostgreSQL or MySQL
``QUEUE``                    ``sabaq``
``CALLBACK_SECRET``          empty: callbacks off (the reconciler reads the result backend)
``CALLBACK_BASE_URL``        prefix of the callback URL when the runtime's is relative
``CALLBACK_TIMEOUT``         10 s: how long a worker waits for the block to answer
``GRADE_TIMEOUT``            600 s: the longest one grading may take from start to report;
                             the task's hard time limit, the broker's visibility timeout
                             (plus ``VISIBILITY_MARGIN``), and how long a running submission
                             may stay silent (plus the margin) before the reconciler queues
                             it again
``VISIBILITY_MARGIN``        60 s: that margin
``QUEUE_TIMEOUT``            3600 s: how long a submission may wait unstarted, while no run
                             at all starts, before the reconciler queues it again
``MAX_RUNS``                 3: gradings of one submission before it is an error
``PREPARE_TIMEOUT``          60 s: Studio's wait for an instructor notebook's check
``SUBMIT_RATE_LIMIT``        10 submissions per learner per window, across blocks (0: off)
``SUBMIT_RATE_WINDOW``       60 s
``MAX_PENDING_PER_LEARNER``  2 queued or running per learner, across blocks (0: off)
``TRUSTED_KEYS``             empty: the public keys (``.pub`` files, or folders of them,
                             separated by ``:``) of the publishers whose module bundles staff
                             may offer to a unit as a newer version
``CATALOGS``                 empty: the URLs (separated by spaces) of the bundle catalogs
                             Studio looks in for newer versions of a unit's module; only these
                             are ever fetched
``PRACTICE_QUEUE``           ``<QUEUE>.practice``: the queue of practice runs; every grading
                             worker serves it too, and a worker started with only this queue
                             (``-Q``) serves practice alone, so a burst of gradings never
                             holds practice up
``PRACTICE_TIMEOUT``         10 s: the longest one practice run may take (its sandbox's time
                             limit); the page's request waits that long, plus a margin
``PRACTICE_RATE_LIMIT``      10 practice runs per learner per window, across blocks (0: off)
``PRACTICE_RATE_WINDOW``     60 s
==========================  =============================================================
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import SettingsInvalid

VISIBILITY_MARGIN = 60.0
"""The default ``visibility_margin``: seconds the broker waits beyond ``grade_timeout`` before
it hands an unacknowledged task to another worker (time for the worker to store the result and
acknowledge after the grading itself), and the reconciler before it queues a silent run again."""


@dataclass(frozen=True)
class Settings:
    """Everything block and workers need to know about their deployment."""

    data_dir: Path
    broker_url: str
    result_backend: str
    submissions_db: str
    queue: str
    callback_secret: str
    callback_base_url: str
    callback_timeout: float
    grade_timeout: float
    queue_timeout: float
    max_runs: int
    prepare_timeout: float
    submit_rate_limit: int
    submit_rate_window: float
    max_pending_per_learner: int
    visibility_margin: float = VISIBILITY_MARGIN
    trusted_keys: tuple[str, ...] = ()
    catalogs: tuple[str, ...] = ()
    practice_queue: str = ""
    practice_timeout: float = 10.0
    practice_rate_limit: int = 10
    practice_rate_window: float = 60.0

    @property
    def visibility_timeout(self) -> float:
        """The broker's visibility timeout (Redis): no running grading outlives it."""
        return self.grade_timeout + self.visibility_margin

    @property
    def broker_kind(self) -> str:
        """``redis``, ``amqp`` or ``sqlalchemy`` (the embedded default)."""
        scheme = self.broker_url.split("://", 1)[0].lower()
        if scheme in ("redis", "rediss", "redis+socket"):
            return "redis"
        if scheme in ("amqp", "amqps", "pyamqp"):
            return "amqp"
        if scheme.startswith("sqla+"):
            return "sqlalchemy"
        raise SettingsInvalid("bad_broker", f"unknown broker URL scheme {scheme!r}")


def _number(name: str, convert: Callable[[str], Any], raw: str, low: float) -> Any:
    try:
        value = convert(raw)
    except ValueError:
        raise SettingsInvalid("bad_setting", f"{name}={raw!r} is not a number") from None
    return max(low, value)


def load(overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """The settings from ``overrides`` (the settings service's dict), then ``environ``
    (default: the process environment), then the defaults."""
    given = {str(k).upper(): v for k, v in (overrides or {}).items()}
    env = os.environ if environ is None else environ

    def pick(name: str, default: str) -> str:
        value = given.get(name, env.get(f"SABAQ_{name}"))
        return str(value) if value not in (None, "") else default

    data = Path(pick("DATA_DIR", "var/sabaq")).resolve()
    return Settings(
        data_dir=data,
        broker_url=pick("BROKER_URL", f"sqla+sqlite:///{data / 'broker.sqlite'}"),
        result_backend=pick("RESULT_BACKEND", f"db+sqlite:///{data / 'results.sqlite'}"),
        submissions_db=pick("SUBMISSIONS_DB", f"sqlite:///{data / 'submissions.sqlite'}"),
        queue=pick("QUEUE", "sabaq"),
        callback_secret=pick("CALLBACK_SECRET", ""),
        callback_base_url=pick("CALLBACK_BASE_URL", ""),
        callback_timeout=_number("CALLBACK_TIMEOUT", float, pick("CALLBACK_TIMEOUT", "10"), 0.1),
        grade_timeout=_number("GRADE_TIMEOUT", float, pick("GRADE_TIMEOUT", "600"), 0.0),
        queue_timeout=_number("QUEUE_TIMEOUT", float, pick("QUEUE_TIMEOUT", "3600"), 0.0),
        max_runs=_number("MAX_RUNS", int, pick("MAX_RUNS", "3"), 1),
        prepare_timeout=_number("PREPARE_TIMEOUT", float, pick("PREPARE_TIMEOUT", "60"), 0.1),
        submit_rate_limit=_number("SUBMIT_RATE_LIMIT", int, pick("SUBMIT_RATE_LIMIT", "10"), 0),
        submit_rate_window=_number("SUBMIT_RATE_WINDOW", float, pick("SUBMIT_RATE_WINDOW", "60"), 1.0),
        max_pending_per_learner=_number("MAX_PENDING_PER_LEARNER", int, pick("MAX_PENDING_PER_LEARNER", "2"), 0),
        visibility_margin=_number("VISIBILITY_MARGIN", float, pick("VISIBILITY_MARGIN", str(VISIBILITY_MARGIN)), 1.0),
        trusted_keys=(tuple(str(p) for p in given["TRUSTED_KEYS"])
                      if isinstance(given.get("TRUSTED_KEYS"), list | tuple)
                      else tuple(p for p in pick("TRUSTED_KEYS", "").split(os.pathsep) if p)),
        catalogs=(tuple(str(u) for u in given["CATALOGS"]) if isinstance(given.get("CATALOGS"), list | tuple)
                  else tuple(pick("CATALOGS", "").split())),
        practice_queue=pick("PRACTICE_QUEUE", f"{pick('QUEUE', 'sabaq')}.practice"),
        practice_timeout=_number("PRACTICE_TIMEOUT", float, pick("PRACTICE_TIMEOUT", "10"), 1.0),
        practice_rate_limit=_number("PRACTICE_RATE_LIMIT", int, pick("PRACTICE_RATE_LIMIT", "10"), 0),
        practice_rate_window=_number("PRACTICE_RATE_WINDOW", float, pick("PRACTICE_RATE_WINDOW", "60"), 1.0),
    )
