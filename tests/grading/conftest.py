"""Shared fixtures for the grading tests: the fixture assignment and ways to mangle it."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest
from nbformat import NotebookNode

FIXTURE = Path(__file__).parents[1] / "fixtures" / "course"
SQUARES = FIXTURE / "source" / "squares" / "squares.ipynb"


@pytest.fixture(scope="session")
def squares_path() -> Path:
    return SQUARES


@pytest.fixture(scope="session")
def instructor() -> NotebookNode:
    return nbformat.read(SQUARES, as_version=4)


@pytest.fixture(scope="session")
def release(instructor: NotebookNode) -> NotebookNode:
    from sabaq_grading.release import student_notebook

    return student_notebook(instructor)


def fill(release: NotebookNode, answers: dict[str, str]) -> NotebookNode:
    """A student's submission: the student version with some answer cells filled in."""
    submission = copy.deepcopy(release)
    for cell in submission.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in answers:
            cell.source = answers[gid]
    return submission


@pytest.fixture(scope="session")
def answered() -> Callable[[NotebookNode, dict[str, str]], NotebookNode]:
    return fill


@pytest.fixture(scope="session")
def correct() -> dict[str, str]:
    return dict(CORRECT)


CORRECT = {
    "square": "def square(x):\n    return x * x",
    "mean": "def mean(values):\n    return sum(values) / len(values)",
    "explain-mean": "Dividing by a length of zero is undefined.",
}
