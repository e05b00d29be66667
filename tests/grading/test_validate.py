"""validate_notebook: the check behind Studio uploads (same checks as ``sabaq validate``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from sabaq_grading.engine import Grader
from sabaq_grading.sandbox import sandbox_available
from sabaq_grading.validate import validate_notebook

pytestmark = pytest.mark.skipif(sandbox_available() is not None, reason=f"no sandbox: {sandbox_available()}")


@pytest.fixture(scope="module")
def grader() -> Iterator[Grader]:
    with Grader() as grader:
        yield grader


def test_sound_assignment_with_its_data_has_no_problems(grader: Grader, squares_path: Path) -> None:
    notebook = json.loads(squares_path.read_text())
    files = {"numbers.csv": (squares_path.parent / "numbers.csv").read_bytes()}
    assert validate_notebook(notebook, grader=grader, files=files) == []


def test_missing_data_and_weak_tests_are_reported(grader: Grader, squares_path: Path) -> None:
    notebook = json.loads(squares_path.read_text())
    problems = validate_notebook(notebook, grader=grader, name="upload.ipynb")
    assert [(p.cell, p.message.split(" (")[0]) for p in problems] == [
        ("test-mean", "the reference solution fails this test")
    ]
    assert "NUMBERS" in problems[0].message


def test_unreadable_upload_is_one_problem() -> None:
    problems = validate_notebook(b"not a notebook", name="upload.ipynb")
    assert len(problems) == 1
    assert "not valid JSON" in problems[0].message


def test_plain_lesson_needs_no_execution(squares_path: Path) -> None:
    lesson = json.loads((squares_path.parents[2] / "lessons" / "functions.ipynb").read_text())
    assert validate_notebook(lesson) == []
