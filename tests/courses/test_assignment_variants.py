"""Fair tests: each assignment, graded by the real ``sabaq`` engine, on submissions written
differently from the reference.

``variants/<assignment>.py`` holds, per assignment, ``CORRECT``: alternative correct
solutions, each of which must earn full autograded marks, and ``MISTAKES``: plausible
mistakes, each with the test cells that must fail (all others must pass), so that a
mistake costs the task it is in and nothing more. A variant replaces the answers of some
solution cells (by grade id); the other cells hold the reference solution.
"""

from __future__ import annotations

import re
import runpy
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import nbformat
import pytest

from sabaq_grading.engine import Assignment, Grader

COURSES_DIR = Path(__file__).resolve().parents[2] / "courses"
VARIANTS_DIR = Path(__file__).resolve().parent / "variants"
MINIMUM_EACH = 5
SOLUTION = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)


class Variant(NamedTuple):
    assignment: str
    name: str
    answers: dict[str, str]
    failing: frozenset[str] | None  # None: a correct solution


def _notebook(assignment: str) -> Path:
    found = list(COURSES_DIR.glob(f"*/source/{assignment}/{assignment}.ipynb"))
    assert len(found) == 1, f"no single instructor notebook for {assignment}"
    return found[0]


def _variants(path: Path) -> dict[str, Any]:
    return runpy.run_path(str(path))


def _all_variants() -> Iterator[Variant]:
    for path in sorted(VARIANTS_DIR.glob("*.py")):
        data = _variants(path)
        for name, answers in data["CORRECT"].items():
            yield Variant(path.stem, name, answers, None)
        for name, (answers, failing) in data["MISTAKES"].items():
            yield Variant(path.stem, name, answers, frozenset(failing))


VARIANTS = list(_all_variants())


def _assignments() -> list[str]:
    return sorted(path.parent.name for path in COURSES_DIR.glob("*/source/*/*.ipynb"))


@pytest.fixture(scope="module")
def grader() -> Iterator[Grader]:
    with Grader() as shared:
        yield shared


# Prepared at collection, before conftest.py starts grading with nbgrader in background
# threads: preparing imports nbgrader's preprocessors, and two threads importing nbgrader at
# once can see a partially initialised module.
PREPARED = {name: Assignment.from_notebook(_notebook(name)) for name in _assignments()}


def _prepared(grader: Grader, assignment: str) -> Assignment:
    return grader.assignment(PREPARED[assignment])


def submission(prepared: Assignment, answers: dict[str, str]) -> nbformat.NotebookNode:
    """The student version with the reference answers, except those given in ``answers``."""
    reference = {
        cell.metadata["nbgrader"]["grade_id"]: SOLUTION.sub("", cell.source)
        for cell in prepared.instructor.cells
        if cell.get("metadata", {}).get("nbgrader", {}).get("solution")
    }
    unknown = set(answers) - set(reference)
    assert not unknown, f"the variant answers cells that are not solution cells: {sorted(unknown)}"
    notebook = nbformat.from_dict(prepared.release)
    for cell in notebook.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
            cell.source = answers.get(grade_id, reference[grade_id])
    return notebook


def _grade(grader: Grader, variant: Variant) -> dict[str, Any]:
    prepared = _prepared(grader, variant.assignment)
    report = grader.grade(prepared, nbformat.writes(submission(prepared, variant.answers)))
    assert report["status"] == "graded", f"{variant.name}: not graded: {report.get('error')}"
    return report


def _failed(report: dict[str, Any]) -> set[str]:
    return {test["grade_id"] for test in report["tests"] if not test["passed"]}


def test_every_assignment_has_enough_variants() -> None:
    assignments = _assignments()
    assert sorted({variant.assignment for variant in VARIANTS}) == assignments
    for assignment in assignments:
        correct = [v for v in VARIANTS if v.assignment == assignment and v.failing is None]
        mistakes = [v for v in VARIANTS if v.assignment == assignment and v.failing is not None]
        assert len(correct) >= MINIMUM_EACH, f"{assignment}: {len(correct)} alternative correct solutions"
        assert len(mistakes) >= MINIMUM_EACH, f"{assignment}: {len(mistakes)} plausible mistakes"
        answers = [tuple(sorted(v.answers.items())) for v in correct + mistakes]
        assert len(set(answers)) == len(answers), f"{assignment}: two variants submit the same answers"


def test_failing_tests_are_test_cells(grader: Grader) -> None:
    for assignment in _assignments():
        tests = {
            cell.metadata["nbgrader"]["grade_id"]
            for cell in _prepared(grader, assignment).instructor.cells
            if cell.get("metadata", {}).get("nbgrader", {}).get("grade")
            and not cell.metadata["nbgrader"].get("solution")
        }
        for variant in VARIANTS:
            if variant.assignment == assignment and variant.failing is not None:
                assert variant.failing, f"{variant.name}: a mistake must fail some test"
                assert variant.failing <= tests, f"{variant.name}: {sorted(variant.failing - tests)} are not tests"


@pytest.mark.parametrize(
    "variant", [v for v in VARIANTS if v.failing is None], ids=lambda v: f"{v.assignment}:{v.name}"
)
def test_correct_solution_earns_full_marks(variant: Variant, grader: Grader) -> None:
    report = _grade(grader, variant)
    failed = {test["grade_id"]: test["message"] for test in report["tests"] if not test["passed"]}
    assert not failed, f"a correct solution ({variant.name}) fails: {failed}"
    automatic = sum(test["max_points"] for test in report["tests"])
    assert report["score"] == automatic > 0


@pytest.mark.parametrize(
    "variant", [v for v in VARIANTS if v.failing is not None], ids=lambda v: f"{v.assignment}:{v.name}"
)
def test_mistake_costs_its_own_tasks(variant: Variant, grader: Grader) -> None:
    report = _grade(grader, variant)
    automatic = sum(test["max_points"] for test in report["tests"])
    assert report["score"] < automatic, f"a mistake ({variant.name}) earns full marks"
    assert _failed(report) == variant.failing, f"{variant.name}: expected to fail {sorted(variant.failing or ())}"
    for test in report["tests"]:
        if not test["passed"]:
            assert test["message"], f"{variant.name}: {test['grade_id']} fails without a message"
