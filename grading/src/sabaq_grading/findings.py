"""What ``sabaq validate`` reports: problems, each an error or a note, naming notebook and cell.

An error makes an assignment unsound (``sabaq validate`` exits 1); a note is worth fixing
but nbgrader accepts it (exit 0, unless ``--strict``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from nbformat import NotebookNode

from .notebook import grade_id

Severity = Literal["error", "note"]


@dataclass(frozen=True)
class Problem:
    """One finding of ``sabaq validate``: where it is, what is wrong and how to fix it."""

    notebook: str
    cell: str  # grade id, "cell N", or "notebook" for the whole notebook
    message: str
    hint: str
    severity: Severity = "error"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def __str__(self) -> str:
        """One line: ``severity: notebook [cell]: message — fix: hint``."""
        message, hint = " ".join(self.message.split()), " ".join(self.hint.split())
        return f"{self.severity}: {self.notebook} [{self.cell}]: {message} — fix: {hint}"


@dataclass
class Findings:
    """The problems of one notebook, in the order they were found."""

    notebook: str
    problems: list[Problem] = field(default_factory=list)

    def add(self, severity: Severity, cell: str, message: str, hint: str) -> None:
        self.problems.append(Problem(self.notebook, cell, message, hint, severity))

    def error(self, cell: str, message: str, hint: str) -> None:
        self.add("error", cell, message, hint)

    def note(self, cell: str, message: str, hint: str) -> None:
        self.add("note", cell, message, hint)

    @property
    def has_errors(self) -> bool:
        return any(problem.is_error for problem in self.problems)


def cell_name(cell: NotebookNode, index: int) -> str:
    """How a problem names a cell: its grade id, else its position."""
    return grade_id(cell) or f"cell {index + 1}"
