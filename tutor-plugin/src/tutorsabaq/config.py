"""The plugin's configuration keys and their defaults (``tutor config save --set KEY=VALUE``).

Values are Jinja templates rendered against the whole Tutor configuration, so they can
name the platform's own settings (``REDIS_HOST``, ``MYSQL_HOST``, ``LMS_HOST`` ...). A value
is rendered once, in turn, not again after the keys it names: a default may name a key whose
value is plain (``SABAQ_VERSION``, ``SABAQ_REDIS_DB``), never one that is itself a template;
where two keys share a template, it is written out twice.

The deployment settings (``BROKER_URL`` ... ``MAX_PENDING_PER_LEARNER``) reach the block as
``XBLOCK_SETTINGS["sabaq_notebook"]`` and the workers as ``SABAQ_*`` environment variables,
from these same keys, so both ends of the queue always agree.
"""

from __future__ import annotations

from typing import Any

from . import __version__

_REDIS = (
    "redis://{% if REDIS_USERNAME and REDIS_PASSWORD %}{{ REDIS_USERNAME }}:{{ REDIS_PASSWORD }}@{% endif %}"
    "{{ REDIS_HOST }}:{{ REDIS_PORT }}/{{ SABAQ_REDIS_DB }}"
)

DEFAULTS: dict[str, Any] = {
    "SABAQ_VERSION": __version__,
    # What gets installed: any pip requirement (a version, a wheel's URL, a VCS URL ...).
    "SABAQ_CONTRACT_REQUIREMENT": "sabaq-contract=={{ SABAQ_VERSION }}",
    "SABAQ_XBLOCK_REQUIREMENT": "sabaq-xblock=={{ SABAQ_VERSION }}",
    "SABAQ_GRADING_REQUIREMENT": "sabaq-grading=={{ SABAQ_VERSION }}",
    # Libraries the students' code and the tests import (the sandbox preloads these three).
    "SABAQ_GRADER_EXTRA_PIP_REQUIREMENTS": ["numpy", "pandas", "matplotlib"],
    "SABAQ_PIP_OPTIONS": "",  # e.g. "--index-url https://... --extra-index-url https://..."
    "SABAQ_GRADER_BASE_IMAGE": "docker.io/debian:bookworm-slim",
    "SABAQ_GRADER_DOCKER_IMAGE": "{{ DOCKER_REGISTRY }}sabaq/sabaq-grader:{{ SABAQ_VERSION }}",
    # The grading queue lives on the platform's Redis, in a database of its own.
    "SABAQ_REDIS_DB": 4,
    "SABAQ_BROKER_URL": _REDIS,
    "SABAQ_RESULT_BACKEND": _REDIS,
    "SABAQ_QUEUE": "sabaq",
    # The submissions store: a database of its own on the platform's MySQL (init task).
    "SABAQ_MYSQL_DATABASE": "sabaq",
    "SABAQ_MYSQL_USERNAME": "sabaq",
    "SABAQ_SUBMISSIONS_DB": (
        "mysql://{{ SABAQ_MYSQL_USERNAME }}:{{ SABAQ_MYSQL_PASSWORD }}@{{ MYSQL_HOST }}:{{ MYSQL_PORT }}/"
        "{{ SABAQ_MYSQL_DATABASE }}?charset=utf8mb4"
    ),
    "SABAQ_DATA_DIR": "/openedx/data/sabaq",
    # Graders post each report to the block's handler on the LMS, signed with the secret.
    "SABAQ_CALLBACK_BASE_URL": "{% if ENABLE_HTTPS %}https{% else %}http{% endif %}://{{ LMS_HOST }}",
    "SABAQ_CALLBACK_TIMEOUT": 10,
    # Limits (seconds and counts), the same on both ends of the queue.
    "SABAQ_GRADE_TIMEOUT": 600,
    "SABAQ_QUEUE_TIMEOUT": 3600,
    "SABAQ_MAX_RUNS": 3,
    "SABAQ_PREPARE_TIMEOUT": 60,
    "SABAQ_SUBMIT_RATE_LIMIT": 10,
    "SABAQ_SUBMIT_RATE_WINDOW": 60,
    "SABAQ_MAX_PENDING_PER_LEARNER": 2,
    # Practice runs (the learner's Run button): their queue, time limit and rate limit.
    "SABAQ_PRACTICE_QUEUE": "{{ SABAQ_QUEUE }}.practice",
    "SABAQ_PRACTICE_TIMEOUT": 10,
    "SABAQ_PRACTICE_RATE_LIMIT": 10,
    "SABAQ_PRACTICE_RATE_WINDOW": 60,
    # Sharing: the public keys (PEM text) of the publishers whose module bundles Studio may
    # offer as newer versions, and the catalogs (URLs) it looks in for them.
    "SABAQ_TRUSTED_KEYS": [],
    "SABAQ_CATALOGS": [],
    # The grader service.
    "RUN_SABAQ_GRADER": True,
    # The reconciler: finishes submissions whose callback was lost, re-queues lost runs and
    # publishes scores the LMS refused, every this many seconds, from the Open edX image.
    "RUN_SABAQ_RECONCILER": True,
    "SABAQ_RECONCILE_EVERY": 30,
    "SABAQ_GRADER_CONCURRENCY": 2,
    "SABAQ_GRADER_REPLICAS": 1,
    # A worker of its own for practice runs, so a burst of gradings never holds them up (the
    # grader's workers serve practice runs too, when they are free).
    "RUN_SABAQ_PRACTICE": True,
    "SABAQ_PRACTICE_CONCURRENCY": 1,
    "SABAQ_PRACTICE_REPLICAS": 1,
    "SABAQ_GRADER_CPU_LIMIT": 2,
    "SABAQ_GRADER_MEMORY_LIMIT_MB": 3072,
    "SABAQ_GRADER_PIDS_LIMIT": 1024,
    # What bubblewrap needs from the container (see the README): namespaces, mounts and
    # loopback in the sandbox's own network namespace.
    "SABAQ_GRADER_CAP_ADD": ["SYS_ADMIN", "NET_ADMIN"],
    "SABAQ_GRADER_SECURITY_OPT": ["seccomp=unconfined", "apparmor=unconfined"],
}

UNIQUE: dict[str, str] = {
    "SABAQ_CALLBACK_SECRET": "{{ 48|random_string }}",
    "SABAQ_MYSQL_PASSWORD": "{{ 24|random_string }}",
}
