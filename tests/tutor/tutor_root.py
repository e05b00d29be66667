"""A Tutor project with the plugin enabled, rendered by the real ``tutor`` command (no Docker).

Every call is a subprocess of the ``tutor`` installed beside this interpreter, with its own
``TUTOR_ROOT`` and plugin folder and no stdin, as CI runs it (as root: Tutor then only warns).
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

TUTOR = str(Path(sys.executable).with_name("tutor"))


@dataclass(frozen=True)
class Project:
    """One Tutor root."""

    root: Path

    def tutor(self, *args: str) -> str:
        environment = {
            **{k: v for k, v in os.environ.items() if not k.startswith("TUTOR_")},
            "TUTOR_ROOT": str(self.root),
            "TUTOR_PLUGINS_ROOT": str(self.root / "plugins-folder"),  # no stray YAML plugins
        }
        done = subprocess.run([TUTOR, *args], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              env=environment, timeout=120, check=False)
        assert done.returncode == 0, f"tutor {' '.join(args)}: {done.stdout}\n{done.stderr}"
        return done.stdout

    def text(self, *path: str) -> str:
        return self.root.joinpath("env", *path).read_text(encoding="utf-8")

    def yaml(self, *path: str) -> Any:
        return yaml.safe_load(self.text(*path))

    def config(self) -> dict[str, Any]:
        loaded: dict[str, Any] = yaml.safe_load((self.root / "config.yml").read_text(encoding="utf-8"))
        return loaded

    def compose_service(self, name: str) -> dict[str, Any] | None:
        services: dict[str, Any] = self.yaml("local", "docker-compose.yml")["services"]
        return services.get(name)

    def k8s_deployment(self, name: str) -> dict[str, Any] | None:
        for document in yaml.safe_load_all(self.text("k8s", "deployments.yml")):
            if document and document.get("kind") == "Deployment" and document["metadata"]["name"] == name:
                found: dict[str, Any] = document
                return found
        return None


def make_project(root: Path, *settings: str) -> Project:
    project = Project(root)
    project.tutor("plugins", "enable", "sabaq")
    project.tutor("config", "save", *[arg for setting in settings for arg in ("--set", setting)])
    return project

