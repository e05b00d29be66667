"""Each assignment, graded by real nbgrader: the reference earns full marks, the release zero.

The ``graded`` fixture (conftest.py) builds one throw-away nbgrader course directory with
every sample assignment, runs ``nbgrader generate_assignment`` and ``nbgrader autograde``
on the instructor notebook (as student ``reference``) and on the released student version
(as student ``blank``), and reads the scores from nbgrader's gradebook.
"""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def scores(assignment: Any, graded: dict[str, Any]) -> dict[str, Any]:
    return graded[assignment.name]


def test_reference_solution_earns_full_autograded_marks(scores: dict[str, Any]) -> None:
    assert scores["max_code"] > 0
    assert scores["reference"] == scores["max_code"]


def test_student_version_earns_zero_autograded_marks(scores: dict[str, Any]) -> None:
    assert scores["blank"] == 0


def test_assignment_has_a_manually_graded_written_answer(scores: dict[str, Any]) -> None:
    assert scores["max_written"] > 0


def test_release_hides_solutions_and_hidden_tests(scores: dict[str, Any]) -> None:
    text = "\n".join(cell.source for cell in scores["release"].cells)
    assert "BEGIN SOLUTION" not in text
    assert "BEGIN HIDDEN TESTS" not in text
    assert "Model answer" not in text
    assert "raise NotImplementedError()" in text
    assert "YOUR ANSWER HERE" in text
