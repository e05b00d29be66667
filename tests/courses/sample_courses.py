"""Helpers shared by the sample-course tests: where the courses are, and their notebooks."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[2]
COURSES_DIR = REPO / "courses"
VENV_BIN = Path(sys.executable).parent
EXPECTED_SLUGS = ["epidemic-modelling", "python-data-science"]
COURSE_SLUGS = sorted(path.parent.name for path in COURSES_DIR.glob("*/course.toml"))


def course_items(slug: str) -> list[dict[str, str]]:
    """The items of one course as written in its course.toml."""
    data = tomllib.loads((COURSES_DIR / slug / "course.toml").read_text(encoding="utf-8"))
    return [item for module in data["modules"] for item in module["items"]]


def items_of_kind(kind: str) -> list[tuple[str, str, str]]:
    """(slug, notebook path relative to the course, language) of every item of a kind."""
    return [
        (slug, item["path"], item.get("language", "en"))
        for slug in COURSE_SLUGS
        for item in course_items(slug)
        if item["kind"] == kind
    ]


def item_id(param: tuple[str, str, str]) -> str:
    return f"{param[0]}:{Path(param[1]).name}"


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(str(path), as_version=nbformat.NO_CONVERT)


