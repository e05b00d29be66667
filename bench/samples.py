"""Sample submissions of the fixture assignment (``tests/fixtures/course``, ``squares``).

A realistic mix: correct, wrong, partially right, raising, mangled by another
editor (metadata stripped), tampering, and a few that never finish. Used by the
benchmark, the grading demo and the tests, so all three grade the same thing.
"""

from __future__ import annotations

import copy
import itertools
from pathlib import Path

import nbformat
from nbformat import NotebookNode

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_COURSE = ROOT / "tests" / "fixtures" / "course"
SQUARES = FIXTURE_COURSE / "source" / "squares" / "squares.ipynb"

GOOD_SQUARE = "def square(x):\n    return x * x"
GOOD_MEAN = "def mean(values):\n    return sum(values) / len(values)"

# name -> (square answer, mean answer, expected score out of 5)
VARIANTS: dict[str, tuple[str, str, float]] = {
    "correct": (GOOD_SQUARE, GOOD_MEAN, 5.0),
    "wrong": ("def square(x):\n    return x + x", "def mean(values):\n    return max(values)", 0.0),
    "partial": (GOOD_SQUARE, "def mean(values):\n    return sum(values) // len(values)", 2.0),
    "visible-only": ("def square(x):\n    return {3: 9, 0: 0}[x]", GOOD_MEAN, 3.0),
    "raising": ("def square(x):\n    raise ValueError('not today')", GOOD_MEAN, 3.0),
    "int-mean": (GOOD_SQUARE, "def mean(values):\n    return round(sum(values) / len(values))", 2.0),
    "numpy": (
        "import numpy as np\n\ndef square(x):\n    return np.square(x).item()",
        "import numpy as np\n\ndef mean(values):\n    return float(np.mean(values))",
        5.0,
    ),
    "loop": (
        GOOD_SQUARE,
        "def mean(values):\n    total = 0.0\n    for v in values:\n        total += v\n    return total / len(values)",
        5.0,
    ),
}
# square() never returns: its test is interrupted at the cell time limit (as Jupyter and
# nbgrader do) and the mean test still earns its 3 points.
TIMEOUT_VARIANT = ("timeout", "def square(x):\n    while True:\n        pass", GOOD_MEAN, 3.0)


def student_version() -> NotebookNode:
    from sabaq_grading.release import student_notebook

    return student_notebook(nbformat.read(SQUARES, as_version=4))


def fill(release: NotebookNode, square: str, mean: str, *, strip_metadata: bool = False) -> NotebookNode:
    notebook = copy.deepcopy(release)
    for cell in notebook.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid == "square":
            cell.source = square
        elif gid == "mean":
            cell.source = mean
        elif gid == "explain-mean":
            cell.source = "Dividing by zero items has no value."
    if strip_metadata:
        for cell in notebook.cells:
            cell.metadata = NotebookNode()
            cell.pop("id", None)
    return notebook


def is_stripped(index: int) -> bool:
    """Every tenth submission was saved by an editor that drops cell metadata."""
    return index % 10 == 7


def write_batch(out: Path, count: int, *, timeouts: int = 3) -> list[tuple[Path, str, float]]:
    """Write ``count`` submissions; returns (path, variant, expected score)."""
    out.mkdir(parents=True, exist_ok=True)
    release = student_version()
    batch: list[tuple[Path, str, float]] = []
    names = itertools.cycle(sorted(VARIANTS))
    timeout_slots = (
        {round(i * count / timeouts) + count // (2 * timeouts) for i in range(timeouts)} if timeouts else set()
    )
    for index in range(count):
        path = out / f"student{index:03d}.ipynb"
        if index in timeout_slots:
            name, square, mean, expected = TIMEOUT_VARIANT
        else:
            name = next(names)
            square, mean, expected = VARIANTS[name]
        notebook = fill(release, square, mean, strip_metadata=is_stripped(index))
        nbformat.write(notebook, path)
        batch.append((path, name, expected))
    return batch
