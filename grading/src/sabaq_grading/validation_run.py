"""Run ``sabaq validate`` over course directories and notebooks, with progress."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from nbformat import NotebookNode

from .course import COURSE_FILE, find_courses
from .engine import Assignment, Grader, GradingSettings, data_files
from .errors import CourseError
from .notebook import Role, role
from .sandbox import Cell, RunResult
from .validate import Problem, assignment_problems, lesson_problems


def _targets(paths: list[Path]) -> list[tuple[str, Path, Path]]:
    """(kind, notebook, course root) for every notebook to check."""
    targets: list[tuple[str, Path, Path]] = []
    for path in paths:
        if path.suffix == ".ipynb":
            if not path.is_file():
                raise CourseError(f"{path}: no such notebook")
            kind = "lesson"
            from .notebook import read_notebook

            if any(role(cell) is not Role.PLAIN for cell in read_notebook(path).cells):
                kind = "assignment"
            targets.append((kind, path, path.parent))
            continue
        if not path.exists():
            raise CourseError(f"{path}: no such course directory")
        if path.is_file() and path.name != COURSE_FILE:
            # `sabaq validate courses/*` also matches files such as courses/README.md
            print(f"sabaq: skipping {path}: not a course directory or a notebook", file=sys.stderr)
            continue
        for course in find_courses(path):
            targets.extend((item.kind, item.path, course.root) for item in course.items)
    return targets


def _lesson_runner(grader: Grader, root: Path) -> Any:
    def run(notebook: NotebookNode, folder: Path) -> RunResult:
        files = data_files(root)
        relative = folder.resolve().relative_to(root.resolve()).as_posix()
        cells = [
            Cell(
                "chdir",
                f"import os as _os\n_os.makedirs({relative!r}, exist_ok=True)\n_os.chdir({relative!r})\ndel _os",
                "code",
            )
        ]
        cells += [
            Cell(f"cell {index + 1}", cell.source, "code")
            for index, cell in enumerate(notebook.cells)
            if cell.cell_type == "code"
        ]
        return grader.executor.run(cells, files)

    return run


def validate_paths(paths: list[Path], settings: GradingSettings, *, quiet: bool = False) -> list[Problem]:
    from tqdm import tqdm

    targets = _targets(paths)
    problems: list[Problem] = []
    with Grader(settings) as grader:

        def grade(assignment: Assignment, submission: Any) -> dict[str, Any]:
            return grader.grade(assignment, submission)

        for kind, notebook, root in tqdm(targets, desc="validating", unit="nb", file=sys.stderr, disable=quiet):
            if kind == "assignment":
                problems.extend(assignment_problems(notebook, grade))
            else:
                problems.extend(lesson_problems(notebook, _lesson_runner(grader, root)))
    return problems
