"""Fixtures for the LTI tool's tests: one real tool server, worker and platform for the session."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
sys.path.append(str(HERE.parent / "plugin"))  # servers, publishing: the workbench tests' own helpers

from lti_tool import Tool, running_tool  # noqa: E402


@pytest.fixture(scope="session")
def tool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tool]:
    with running_tool(tmp_path_factory.mktemp("lti")) as running:
        yield running


@pytest.fixture(scope="session")
def screenshots() -> Path:
    folder = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
