"""Parametrisation and fixtures shared by the sample-course tests.

Every test that asks for ``course_slug``, ``lesson`` or ``assignment`` runs once per
course, lesson notebook or assignment notebook listed in the courses' ``course.toml``.

Grading the assignments with real nbgrader and running ``sabaq validate`` take the
longest and mostly wait on subprocesses, so when a collected test needs the ``graded`` or
``validated`` fixture that work starts in background threads as soon as collection
ends, while the lessons execute.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple

import nbformat
import pytest

COURSES_DIR = Path(__file__).resolve().parents[2] / "courses"
VENV_BIN = Path(sys.executable).parent
REFERENCE, BLANK = "reference", "blank"


class CourseItem(NamedTuple):
    """One notebook listed in a course.toml."""

    slug: str
    relpath: str
    language: str

    @property
    def path(self) -> Path:
        return COURSES_DIR / self.slug / self.relpath

    @property
    def name(self) -> str:
        """The nbgrader assignment name (``source/<name>/...``) or the lesson file stem."""
        return self.path.parent.name if self.relpath.startswith("source/") else self.path.stem


def course_slugs() -> list[str]:
    return sorted(path.parent.name for path in COURSES_DIR.glob("*/course.toml"))


def course_items(kind: str) -> list[CourseItem]:
    items = []
    for slug in course_slugs():
        data = tomllib.loads((COURSES_DIR / slug / "course.toml").read_text(encoding="utf-8"))
        for module in data["modules"]:
            for item in module["items"]:
                if item["kind"] == kind:
                    language = item.get("language", data["language"])
                    items.append(CourseItem(slug, item["path"], language))
    return items


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "course_slug" in metafunc.fixturenames:
        metafunc.parametrize("course_slug", course_slugs())
    for kind in ("lesson", "assignment"):
        if kind in metafunc.fixturenames:
            items = course_items(kind)
            metafunc.parametrize(kind, items, ids=[f"{i.slug}:{Path(i.relpath).name}" for i in items])


@pytest.fixture(scope="session")
def courses_dir() -> Path:
    return COURSES_DIR


@pytest.fixture(scope="session")
def venv_bin() -> Path:
    """The environment's bin directory (nbgrader, alembic, sabaq)."""
    return VENV_BIN


@pytest.fixture(scope="session")
def all_assignments() -> list[CourseItem]:
    return course_items("assignment")


def _nbgrader(course: Path, *args: str) -> None:
    env = dict(os.environ, PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    result = subprocess.run(
        [str(VENV_BIN / "nbgrader"), *args, "--force"],
        cwd=course, env=env, capture_output=True, text=True, timeout=400, check=False,
    )
    if result.returncode != 0:
        raise AssertionError(f"nbgrader {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")


def grade_all_assignments(course: Path) -> dict[str, dict[str, Any]]:
    """Generate, submit and autograde every sample assignment in one nbgrader course.

    The instructor (source) notebook is submitted as student ``reference`` and the
    released student version as student ``blank``; scores come from nbgrader's gradebook.
    """
    from nbgrader.api import Gradebook

    sources = {item.name: item.path.parent for item in course_items("assignment")}
    if len(sources) != len(course_items("assignment")):
        raise AssertionError("assignment names must be unique across courses")
    (course / "nbgrader_config.py").write_text(
        'c = get_config()\nc.CourseDirectory.course_id = "sabaq-sample-courses"\nc.Execute.timeout = 120\n',
        encoding="utf-8",
    )
    for name, folder in sources.items():
        shutil.copytree(folder, course / "source" / name)
    _nbgrader(course, "generate_assignment", "*")
    for name in sources:
        shutil.copytree(course / "source" / name, course / "submitted" / REFERENCE / name)
        shutil.copytree(course / "release" / name, course / "submitted" / BLANK / name)
    _nbgrader(course, "autograde", "*")
    results: dict[str, dict[str, Any]] = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for name in sources:
            assignment = gradebook.find_assignment(name)
            results[name] = {
                "max_code": assignment.max_code_score,
                "max_written": assignment.max_written_score,
                REFERENCE: gradebook.find_submission(name, REFERENCE).code_score,
                BLANK: gradebook.find_submission(name, BLANK).code_score,
                "release": nbformat.read(str(course / "release" / name / f"{name}.ipynb"), as_version=4),
            }
    return results


def sabaq_validate(slug: str) -> subprocess.CompletedProcess[str]:
    """Run ``sabaq validate`` on one course directory."""
    return subprocess.run(
        [str(VENV_BIN / "sabaq"), "validate", "--quiet", str(COURSES_DIR / slug)],
        env=dict(os.environ, PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"),
        capture_output=True, text=True, timeout=600, check=False,
    )


_BACKGROUND: dict[str, Any] = {}


def pytest_collection_finish(session: pytest.Session) -> None:
    wanted = {name for item in session.items for name in getattr(item, "fixturenames", ())}
    if not wanted & {"graded", "validated"}:
        return
    executor = ThreadPoolExecutor(max_workers=2)
    _BACKGROUND["executor"] = executor
    if "graded" in wanted:
        workdir = Path(tempfile.mkdtemp(prefix="sabaq-nbgrader-"))
        _BACKGROUND.update(workdir=workdir, graded=executor.submit(grade_all_assignments, workdir))
    if "validated" in wanted:
        _BACKGROUND["validated"] = executor.submit(lambda: {slug: sabaq_validate(slug) for slug in course_slugs()})


def pytest_sessionfinish(session: pytest.Session) -> None:
    if "executor" in _BACKGROUND:
        _BACKGROUND["executor"].shutdown(wait=True)
        if "workdir" in _BACKGROUND:
            shutil.rmtree(_BACKGROUND["workdir"], ignore_errors=True)
        _BACKGROUND.clear()


@pytest.fixture(scope="session")
def graded() -> dict[str, dict[str, Any]]:
    """Scores of every sample assignment, graded by nbgrader (see grade_all_assignments)."""
    future: Future[dict[str, dict[str, Any]]] = _BACKGROUND["graded"]
    return future.result(timeout=900)


@pytest.fixture(scope="session")
def validated() -> dict[str, subprocess.CompletedProcess[str]]:
    """The result of ``sabaq validate`` for every course, by slug."""
    future: Future[dict[str, subprocess.CompletedProcess[str]]] = _BACKGROUND["validated"]
    return future.result(timeout=900)
