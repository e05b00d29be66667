"""Fixtures: Tutor projects rendered with the plugin (``tutor_root.py``)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from tutor_root import Project, make_project


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """A project rendered with the plugin's defaults."""
    return make_project(tmp_path_factory.mktemp("tutor-root"))


@pytest.fixture
def new_project(tmp_path: Path) -> Callable[..., Project]:
    """Make a fresh project, optionally with ``KEY=VALUE`` settings."""
    counter = iter(range(1000))
    return lambda *settings: make_project(tmp_path / f"root{next(counter)}", *settings)
