"""Deployment settings of the block, read lazily.

Values come from ``XBLOCK_SETTINGS["sabaq_notebook"]`` through the runtime's
``settings`` service when it has one, then from ``SABAQ_*`` environment
variables, then from defaults under one data directory. The worker
(``sabaq_grading.worker``) reads the same environment variables with the same
defaults, so an embedded laptop setup needs no configuration at all.

Fairness settings (per deployment, because they protect the shared grading queue):

``SUBMIT_RATE_LIMIT``        submissions (submit or upload) one learner may make in a window,
                             across all blocks; 0 turns the limit off (default 10)
``SUBMIT_RATE_WINDOW``       that window in seconds (default 60)
``MAX_PENDING_PER_LEARNER``  submissions one learner may have queued or running at once,
                             across all blocks, so one learner never holds more than this many
                             grading workers; 0 turns the cap off (default 2)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Settings:
    """Everything the block needs to know about its deployment."""

    data_dir: Path
    broker_url: str
    result_backend: str
    submissions_db: str
    callback_secret: str
    callback_base_url: str
    grade_timeout: float
    prepare_timeout: float
    queue: str
    submit_rate_limit: int
    submit_rate_window: float
    max_pending_per_learner: int


def _data_dir(raw: Any) -> Path:
    return Path(str(raw or os.environ.get("SABAQ_DATA_DIR") or "var/sabaq")).resolve()


def load(overrides: dict[str, Any] | None = None) -> Settings:
    """Build :class:`Settings` from the settings-service dict ``overrides`` and the environment."""
    given = {str(k).upper(): v for k, v in (overrides or {}).items()}
    env = os.environ

    def pick(name: str, default: str) -> str:
        value = given.get(name, env.get(f"SABAQ_{name}"))
        return str(value) if value not in (None, "") else default

    data = _data_dir(given.get("DATA_DIR"))
    return Settings(
        data_dir=data,
        broker_url=pick("BROKER_URL", f"sqla+sqlite:///{data / 'broker.sqlite'}"),
        result_backend=pick("RESULT_BACKEND", f"db+sqlite:///{data / 'results.sqlite'}"),
        submissions_db=pick("SUBMISSIONS_DB", f"sqlite:///{data / 'submissions.sqlite'}"),
        callback_secret=pick("CALLBACK_SECRET", ""),
        callback_base_url=pick("CALLBACK_BASE_URL", ""),
        grade_timeout=float(pick("GRADE_TIMEOUT", "600")),
        prepare_timeout=float(pick("PREPARE_TIMEOUT", "60")),
        queue=pick("QUEUE", "sabaq"),
        submit_rate_limit=max(0, int(pick("SUBMIT_RATE_LIMIT", "10"))),
        submit_rate_window=max(1.0, float(pick("SUBMIT_RATE_WINDOW", "60"))),
        max_pending_per_learner=max(0, int(pick("MAX_PENDING_PER_LEARNER", "2"))),
    )
