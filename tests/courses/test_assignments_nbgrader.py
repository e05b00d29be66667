"""Each assignment, graded by real nbgrader: the reference earns full marks, the release zero.

We build one throw-away nbgrader course directory holding the assignments of every
course (their names are unique), run ``nbgrader generate_assignment`` once, submit every
instructor (source) notebook as one student and every released student version as
another, run ``nbgrader autograde`` once, and read the scores from nbgrader's gradebook.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbgrader.api import Gradebook

REFERENCE, BLANK = "reference", "blank"


def _nbgrader(venv_bin: Path, course: Path, *args: str) -> None:
    env = dict(os.environ, PATH=f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}")
    result = subprocess.run(
        [str(venv_bin / "nbgrader"), *args, "--force"],
        cwd=course, env=env, capture_output=True, text=True, timeout=240, check=False,
    )
    assert result.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"


def _grade_all(venv_bin: Path, sources: dict[str, Path], course: Path) -> dict[str, Any]:
    """Generate, submit and autograde every assignment; scores per assignment name."""
    (course / "nbgrader_config.py").write_text(
        'c = get_config()\nc.CourseDirectory.course_id = "sabaq-sample-courses"\nc.Execute.timeout = 120\n',
        encoding="utf-8",
    )
    names = sorted(sources)
    for name in names:
        shutil.copytree(sources[name], course / "source" / name)
    _nbgrader(venv_bin, course, "generate_assignment", "*")
    for name in names:
        shutil.copytree(course / "source" / name, course / "submitted" / REFERENCE / name)
        shutil.copytree(course / "release" / name, course / "submitted" / BLANK / name)
    _nbgrader(venv_bin, course, "autograde", "*")
    results: dict[str, Any] = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for name in names:
            assignment = gradebook.find_assignment(name)
            results[name] = {
                "max_code": assignment.max_code_score,
                "max_written": assignment.max_written_score,
                REFERENCE: gradebook.find_submission(name, REFERENCE).code_score,
                BLANK: gradebook.find_submission(name, BLANK).code_score,
                "release": nbformat.read(str(course / "release" / name / f"{name}.ipynb"), as_version=4),
            }
    return results


@pytest.fixture(scope="module")
def graded(venv_bin: Path, all_assignments: list[Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    sources = {item.name: item.path.parent for item in all_assignments}
    assert len(sources) == len(all_assignments), "assignment names must be unique across courses"
    return _grade_all(venv_bin, sources, tmp_path_factory.mktemp("nbgrader"))


@pytest.fixture
def scores(assignment: Any, graded: dict[str, Any]) -> dict[str, Any]:
    return graded[assignment.name]


def test_reference_solution_earns_full_autograded_marks(scores: dict[str, Any]) -> None:
    assert scores["max_code"] > 0
    assert scores[REFERENCE] == scores["max_code"]


def test_student_version_earns_zero_autograded_marks(scores: dict[str, Any]) -> None:
    assert scores[BLANK] == 0


def test_assignment_has_a_manually_graded_written_answer(scores: dict[str, Any]) -> None:
    assert scores["max_written"] > 0


def test_release_hides_solutions_and_hidden_tests(scores: dict[str, Any]) -> None:
    text = "\n".join(cell.source for cell in scores["release"].cells)
    assert "BEGIN SOLUTION" not in text
    assert "BEGIN HIDDEN TESTS" not in text
    assert "Model answer" not in text
    assert "raise NotImplementedError()" in text
    assert "YOUR ANSWER HERE" in text
