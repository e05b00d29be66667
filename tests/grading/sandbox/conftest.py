"""Shared fixtures for the sandbox tests: one warm Executor for the whole session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sabaq_grading.sandbox import Cell, Executor, Limits, RunResult, sandbox_available

FAST = Limits(cell_timeout=20.0, total_timeout=60.0)


@pytest.fixture(scope="session")
def executor() -> Iterator[Executor]:
    """A sandboxed executor with two workers, shared by every test that needs bwrap."""
    reason = sandbox_available()
    if reason is not None:
        pytest.skip(f"sandbox not available here: {reason}")
    with Executor(workers=2, limits=FAST) as ex:
        yield ex


class Runner:
    """Runs (role, source) cells on an executor; handed to tests by the ``sbx`` fixture."""

    def __init__(self, ex: Executor) -> None:
        self.executor = ex

    def __call__(self, *specs: tuple[str, str], limits: Limits | None = None,
                 files: dict[str, bytes] | None = None) -> RunResult:
        return run(self.executor, *specs, limits=limits, files=files)

    @staticmethod
    def text(result: RunResult, index: int) -> str:
        return text(result, index)


@pytest.fixture
def sbx(executor: Executor) -> Runner:
    """Run cells in the shared sandboxed executor."""
    return Runner(executor)


def cells(*specs: tuple[str, str]) -> list[Cell]:
    """Cells from (role, source) pairs, with ids c0, c1, ..."""
    return [Cell(f"c{i}", source, role) for i, (role, source) in enumerate(specs)]  # type: ignore[arg-type]


def run(ex: Executor, *specs: tuple[str, str], limits: Limits | None = None,
        files: dict[str, bytes] | None = None) -> RunResult:
    """Run (role, source) cells and return the result."""
    return ex.run(cells(*specs), files=files, limits=limits)


def text(result: RunResult, index: int) -> str:
    """All stream text of one cell."""
    return "".join(o.get("text", "") for o in result.cells[index].outputs
                   if o["output_type"] == "stream")
