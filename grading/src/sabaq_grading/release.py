"""Student versions of assignments, made with nbgrader's own preprocessors.

The pipeline is the one ``nbgrader generate_assignment`` runs (minus the
gradebook database): clear solutions, hidden tests and mark schemes, lock
cells, record checksums and clear outputs. The cell sequence stays one to one
with the instructor notebook, which grading relies on.
"""

from __future__ import annotations

import copy
import shutil
from functools import lru_cache
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

from .course import Course, Item
from .errors import NotebookError
from .notebook import read_notebook


@lru_cache(maxsize=1)
def _preprocessors() -> tuple[Any, ...]:
    from nbgrader.preprocessors import (
        ClearHiddenTests,
        ClearMarkScheme,
        ClearOutput,
        ClearSolutions,
        ComputeChecksums,
        LockCells,
    )

    return (
        ClearSolutions(),
        ClearHiddenTests(),
        ClearMarkScheme(),
        LockCells(),
        ComputeChecksums(),
        ClearOutput(),
    )


def student_notebook(instructor: Any) -> NotebookNode:
    """The student version of an instructor notebook (the input is not changed)."""
    notebook = copy.deepcopy(read_notebook(instructor))
    resources: dict[str, Any] = {}
    try:
        for preprocessor in _preprocessors():
            notebook, resources = preprocessor.preprocess(notebook, resources)
    except Exception as error:  # nbgrader raises RuntimeError/ValueError on malformed regions
        raise NotebookError(f"cannot make the student version: {error}") from error
    notebook.metadata.pop("widgets", None)
    for cell in notebook.cells:  # a rubric is for tutors (the LMS reads it from the instructor notebook)
        sabaq = cell.get("metadata", {}).get("sabaq")
        if isinstance(sabaq, dict):
            sabaq.pop("rubric", None)
            if not sabaq:
                del cell.metadata["sabaq"]
    return notebook


def with_header_footer(notebook: NotebookNode, header: Path | None, footer: Path | None) -> NotebookNode:
    """``notebook`` with the cells of ``header`` before and ``footer`` after (nbgrader's ``IncludeHeaderFooter``)."""
    if header is None and footer is None:
        return notebook
    from nbgrader.preprocessors import IncludeHeaderFooter

    framed: NotebookNode = copy.deepcopy(notebook)
    try:
        framed = IncludeHeaderFooter(header=str(header or ""), footer=str(footer or "")).preprocess(framed, {})[0]
    except Exception as error:  # nbgrader reads them with its metadata validation: any of its errors
        raise NotebookError(f"cannot add the header or footer: {error}") from error
    return framed


def release_path(item: Item) -> str:
    """Where nbgrader releases an item: ``release/<assignment>/<notebook>``; lessons keep their path."""
    if item.kind == "assignment" and item.assignment:
        return f"release/{item.assignment}/{Path(item.relpath).name}"
    return item.relpath


def release_course(course: Course, out: Path) -> list[Path]:
    """Write student versions of every assignment and clean copies of every lesson.

    Assignments go where ``nbgrader generate_assignment`` puts them
    (``release/<assignment>/``), with the course's header and footer cells; data files
    beside the notebooks are copied too. Returns the notebooks written.
    """
    written: list[Path] = []
    out.mkdir(parents=True, exist_ok=True)
    for item in course.items:
        target = out / release_path(item)
        target.parent.mkdir(parents=True, exist_ok=True)
        notebook = read_notebook(item.path)
        if item.kind == "assignment":
            notebook = student_notebook(with_header_footer(notebook, course.header, course.footer))
            for extra in item.path.parent.iterdir():
                if extra.is_file() and extra.suffix != ".ipynb":
                    shutil.copy2(extra, target.parent / extra.name)
        else:
            for cell in notebook.cells:
                if cell.cell_type == "code":
                    cell.outputs, cell.execution_count = [], None
        nbformat.write(notebook, target)
        written.append(target)
    data = course.root / "data"
    if data.is_dir():
        shutil.copytree(data, out / "data", dirs_exist_ok=True)
    return written
