"""Sabaq's Tutor plugin: the notebook XBlock in the Open edX image and settings, and grader workers.

Everything the plugin adds is declared here through Tutor's hooks; what it renders lives
in ``patches/`` (one file per Tutor patch, named after it) and ``templates/sabaq/`` (the
grader image and the init task). Configuration keys are listed in ``config.py``.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Literal

from tutor.hooks.catalog import Filters

from .config import DEFAULTS, UNIQUE

PACKAGE = resources.files("tutorsabaq")
GRADER_IMAGE = "sabaq-grader"

Filters.CONFIG_DEFAULTS.add_items(list(DEFAULTS.items()))
Filters.CONFIG_UNIQUE.add_items(list(UNIQUE.items()))

# JSON is valid YAML and, for strings and numbers, valid Python: one quoting rule for every
# value the patches write into docker-compose, Kubernetes manifests and Django settings.
Filters.ENV_TEMPLATE_FILTERS.add_item(("sabaq_literal", json.dumps))

Filters.ENV_TEMPLATE_ROOTS.add_item(str(PACKAGE / "templates"))
Filters.ENV_TEMPLATE_TARGETS.add_item(("sabaq/build", "plugins"))

for _patch in sorted(PACKAGE.joinpath("patches").iterdir(), key=lambda entry: entry.name):
    if _patch.is_file() and not _patch.name.startswith("."):
        Filters.ENV_PATCHES.add_item((_patch.name, _patch.read_text(encoding="utf-8")))

# The database and user of the submissions store, on the platform's MySQL.
Filters.CLI_DO_INIT_TASKS.add_item(
    ("mysql", PACKAGE.joinpath("templates", "sabaq", "tasks", "mysql", "init").read_text(encoding="utf-8"))
)

Filters.IMAGES_BUILD.add_item(
    (GRADER_IMAGE, ("plugins", "sabaq", "build", GRADER_IMAGE), "{{ SABAQ_GRADER_DOCKER_IMAGE }}", ())
)
Filters.IMAGES_PULL.add_item((GRADER_IMAGE, "{{ SABAQ_GRADER_DOCKER_IMAGE }}"))
Filters.IMAGES_PUSH.add_item((GRADER_IMAGE, "{{ SABAQ_GRADER_DOCKER_IMAGE }}"))


@Filters.IMAGES_BUILD_REQUIRED.add()
def _build_on_launch(image_names: list[str], context_name: Literal["local", "dev"]) -> list[str]:
    """``tutor local launch`` builds the Open edX image (it must hold the XBlock) and the grader's
    (``tutor dev launch`` builds ``openedx-dev`` itself)."""
    for name in ("openedx", GRADER_IMAGE) if context_name == "local" else (GRADER_IMAGE,):
        if name not in image_names:
            image_names.append(name)
    return image_names
