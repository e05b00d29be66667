"""Value types of the sandboxed executor: what to run, under which limits, and what happened.

They are plain dataclasses so that the grading engine can build and read them without
importing anything heavy, and so that results serialise to the grade report directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

CellRole = Literal["code", "locked", "test"]
CellStatus = Literal["ok", "error", "timeout", "not_run"]
RunEnding = Literal["completed", "interpreter_exited", "timeout", "crashed", "protocol_violation"]


@dataclass(frozen=True)
class Limits:
    """Resource limits for one submission; every process of the submission shares them.

    A cell running past ``cell_timeout`` is interrupted and counts as ``timeout``; the run
    goes on unless the cell ignores the interrupt. ``total_timeout`` ends the run outright.
    """

    cell_timeout: float = 30.0
    total_timeout: float = 120.0
    cpu_seconds: int = 60
    memory_bytes: int = 1 << 30
    processes: int = 32
    file_size_bytes: int = 16 << 20
    output_bytes: int = 256 << 10
    open_files: int = 256

    def __post_init__(self) -> None:
        for name in ("cell_timeout", "total_timeout", "cpu_seconds", "memory_bytes",
                     "processes", "file_size_bytes", "output_bytes", "open_files"):
            if not getattr(self, name) > 0:
                raise ValueError(f"Limits.{name} must be positive, got {getattr(self, name)!r}")


@dataclass(frozen=True)
class Cell:
    """One cell to run: ``code`` runs like a notebook cell, ``test`` is a hardened grading test.

    ``locked`` runs like ``code``, for a read-only cell of the instructor's: the names it binds
    are then the instructor's, and tests read them as the cell left them.
    """

    cell_id: str
    source: str
    role: CellRole

    def __post_init__(self) -> None:
        if self.role not in ("code", "locked", "test"):
            raise ValueError(f"Cell {self.cell_id!r}: role must be 'code', 'locked' or 'test', "
                             f"got {self.role!r}")


@dataclass
class CellResult:
    """What one cell did: its status, nbformat v4 outputs and, on error, the exception."""

    cell_id: str
    status: CellStatus
    outputs: list[dict[str, Any]] = field(default_factory=list)
    error: dict[str, Any] | None = None
    duration_ms: float = 0.0


@dataclass
class RunResult:
    """The outcome of one submission: a result per input cell, in order, and how the run ended."""

    cells: list[CellResult]
    ended: RunEnding
    message: str
    code_ms: float
    total_ms: float
