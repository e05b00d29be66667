"""The bubblewrap command line: what is bound into the sandbox, and in which order."""

from __future__ import annotations

from pathlib import Path

import pytest

from sabaq_grading.sandbox import launch, sandbox_available

pytestmark = pytest.mark.skipif(sandbox_available() is not None, reason=f"no sandbox: {sandbox_available()}")


def test_editable_sources_are_bound_after_the_scratch_tmpfs() -> None:
    """A checkout under /tmp must not be hidden by the sandbox's own /tmp."""
    command = launch.bwrap_command(3, "numpy")
    tmpfs = command.index("--tmpfs")
    sources = launch.editable_source_dirs()
    assert sources, "the development install binds the project's source folders"
    for source in sources:
        position = command.index(str(source))
        assert command[position - 1] == "--ro-bind"
        assert position > tmpfs


def test_folders_holding_notebooks_are_never_bound() -> None:
    root = Path(__file__).parents[3]
    for source in launch.editable_source_dirs():
        assert next(source.rglob("*.ipynb"), None) is None
        assert source != root and not (source / "courses").exists()
