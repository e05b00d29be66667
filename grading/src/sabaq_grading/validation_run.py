"""Run ``sabaq validate`` over course directories and notebooks, with progress."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .course import COURSE_FILE, find_courses
from .engine import Assignment, Grader, GradingSettings, data_files
from .errors import CourseError
from .notebook import read_notebook
from .sandbox import Cell, RunResult
from .validate import Problem, assignment_problems, is_assignment, lesson_problems


@dataclass(frozen=True)
class _Target:
    kind: str  # "assignment" or "lesson"
    notebook: Path
    root: Path  # the course root, or the notebook's folder for a notebook given alone
    header: Path | None = None  # the course's header and footer notebooks (course.toml)
    footer: Path | None = None


def _targets(paths: list[Path]) -> list[_Target]:
    """Every notebook to check, with its course root."""
    targets: list[_Target] = []
    for path in paths:
        if path.suffix == ".ipynb":
            if not path.is_file():
                raise CourseError(f"{path}: no such notebook")
            kind = "assignment" if is_assignment(read_notebook(path)) else "lesson"
            targets.append(_Target(kind, path, path.parent))
            continue
        if not path.exists():
            raise CourseError(f"{path}: no such course directory")
        if path.is_file() and path.name != COURSE_FILE:
            # `sabaq validate courses/*` also matches files such as courses/README.md
            print(f"sabaq: skipping {path}: not a course directory or a notebook", file=sys.stderr)
            continue
        for course in find_courses(path):
            targets.extend(
                _Target(item.kind, item.path, course.root, course.header, course.footer) for item in course.items
            )
    return targets


def _lesson_runner(grader: Grader, root: Path) -> Any:
    def run(lesson: list[tuple[str, str]], folder: Path) -> RunResult:
        files = data_files(root)
        relative = folder.resolve().relative_to(root.resolve()).as_posix()
        cells = [
            Cell(
                "chdir",
                f"import os as _os\n_os.makedirs({relative!r}, exist_ok=True)\n_os.chdir({relative!r})\ndel _os",
                "code",
            )
        ]
        cells += [Cell(cell_id, source, "code") for cell_id, source in lesson]
        return grader.executor.run(cells, files)

    return run


def validate_paths(paths: list[Path], settings: GradingSettings, *, quiet: bool = False) -> list[Problem]:
    """Every problem (errors and notes) of every notebook under ``paths``, notebook by notebook."""
    from tqdm import tqdm

    targets = _targets(paths)
    problems: list[Problem] = []
    with Grader(settings) as grader:

        def grade(assignment: Assignment, submission: Any) -> dict[str, Any]:
            return grader.grade(assignment, submission)

        for target in tqdm(targets, desc="validating", unit="nb", file=sys.stderr, disable=quiet):
            if target.kind == "assignment":
                found = assignment_problems(target.notebook, grade, header=target.header, footer=target.footer)
            else:
                found = lesson_problems(target.notebook, _lesson_runner(grader, target.root))
            problems.extend(sorted(found, key=lambda problem: not problem.is_error))
    return problems
