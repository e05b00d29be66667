"""Parametrisation and fixtures shared by the sample-course tests.

Every test that asks for ``course_slug``, ``lesson`` or ``assignment`` runs once per
course, lesson notebook or assignment notebook listed in the courses' ``course.toml``.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path
from typing import NamedTuple

import pytest

COURSES_DIR = Path(__file__).resolve().parents[2] / "courses"
EXPECTED_SLUGS = ["epidemic-modelling", "python-data-science"]


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
    return Path(sys.executable).parent


@pytest.fixture(scope="session")
def all_assignments() -> list[CourseItem]:
    return course_items("assignment")
