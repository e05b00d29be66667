"""Each assignment, graded by real nbgrader: the reference earns full marks, the release zero.

For each course we build a throw-away nbgrader course directory holding all its
assignments, run ``nbgrader generate_assignment``, submit every instructor (source)
notebook as one student and every released student version as another, run
``nbgrader autograde`` once, and read the scores from nbgrader's gradebook.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from nbgrader.api import Gradebook
from sample_courses import COURSE_SLUGS, COURSES_DIR, VENV_BIN, item_id, items_of_kind, read

ASSIGNMENTS = items_of_kind("assignment")
REFERENCE, BLANK = "reference", "blank"


def _nbgrader(course: Path, *args: str) -> None:
    env = dict(os.environ, PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    result = subprocess.run(
        [str(VENV_BIN / "nbgrader"), *args, "--force"],
        cwd=course, env=env, capture_output=True, text=True, timeout=240, check=False,
    )
    assert result.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"


def _grade_course(slug: str, course: Path) -> dict[str, dict[str, Any]]:
    """Generate, submit and autograde every assignment of one course; scores per assignment."""
    (course / "nbgrader_config.py").write_text(
        f'c = get_config()\nc.CourseDirectory.course_id = "{slug}"\nc.Execute.timeout = 120\n',
        encoding="utf-8",
    )
    names = [Path(relpath).parent.name for s, relpath, _ in ASSIGNMENTS if s == slug]
    for name in names:
        shutil.copytree(COURSES_DIR / slug / "source" / name, course / "source" / name)
    _nbgrader(course, "generate_assignment", "*")
    for name in names:
        shutil.copytree(course / "source" / name, course / "submitted" / REFERENCE / name)
        shutil.copytree(course / "release" / name, course / "submitted" / BLANK / name)
    _nbgrader(course, "autograde", "*")
    results: dict[str, dict[str, Any]] = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for name in names:
            assignment = gradebook.find_assignment(name)
            results[name] = {
                "max_code": assignment.max_code_score,
                "max_written": assignment.max_written_score,
                REFERENCE: gradebook.find_submission(name, REFERENCE).code_score,
                BLANK: gradebook.find_submission(name, BLANK).code_score,
                "release": read(course / "release" / name / f"{name}.ipynb"),
            }
    return results


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    for slug in COURSE_SLUGS:
        results.update(_grade_course(slug, tmp_path_factory.mktemp(f"nbgrader-{slug}")))
    return results


@pytest.fixture(params=ASSIGNMENTS, ids=item_id)
def scores(request: pytest.FixtureRequest, graded: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return graded[Path(request.param[1]).parent.name]


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
