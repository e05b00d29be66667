"""Protection: what runs is decided by the instructor notebook, however the submission was mangled."""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell

from sabaq_grading.plan import WrongAssignment, build_plan

Fill = Callable[[NotebookNode, dict[str, str]], NotebookNode]


def sources(plan) -> list[str]:  # type: ignore[no-untyped-def]
    return [step.source for step in plan.steps]


def test_intact_submission_runs_answers_and_instructor_tests(
    instructor: NotebookNode, release: NotebookNode, answered: Fill, correct: dict[str, str]
) -> None:
    plan = build_plan(instructor, release, answered(release, correct))
    kinds = [(step.kind, step.grade_id) for step in plan.steps]
    assert kinds == [("locked", None), ("code", None), ("test", "test-square"), ("code", None), ("test", "test-mean")]
    test_sources = [step.source for step in plan.steps if step.kind == "test"]
    assert "BEGIN HIDDEN TESTS" in test_sources[0]  # the instructor's source, hidden tests included
    assert correct["square"] in sources(plan)
    assert [(t.grade_id, t.max_points, t.hidden) for t in plan.tests] == [
        ("test-square", 2.0, True),
        ("test-mean", 3.0, False),
    ]
    assert "BEGIN HIDDEN TESTS" not in plan.tests[0].visible_source
    assert [(m.grade_id, m.answered) for m in plan.manual] == [("explain-mean", True)]
    assert plan.warnings == []


def test_blank_written_answer_is_not_answered(
    instructor: NotebookNode, release: NotebookNode, answered: Fill, correct: dict[str, str]
) -> None:
    plan = build_plan(instructor, release, release)
    assert [(m.grade_id, m.answered) for m in plan.manual] == [("explain-mean", False)]


def test_edited_test_cell_and_metadata_are_ignored(
    instructor: NotebookNode, release: NotebookNode, answered: Fill, correct: dict[str, str]
) -> None:
    submission = answered(release, {**correct, "test-square": "pass  # tests? what tests?"})
    test_cell = next(c for c in submission.cells if c.metadata["nbgrader"]["grade_id"] == "test-mean")
    test_cell.metadata["nbgrader"]["points"] = 1000
    test_cell.source = "assert True"
    plan = build_plan(instructor, release, submission)
    assert "pass  # tests? what tests?" not in sources(plan)
    assert "assert True" not in sources(plan)
    assert [t.max_points for t in plan.tests] == [2.0, 3.0]
    assert "changes to test cell 'test-square' were ignored" in plan.warnings


def test_deleted_test_cells_are_restored(
    instructor: NotebookNode, release: NotebookNode, answered: Fill, correct: dict[str, str]
) -> None:
    submission = answered(release, correct)
    submission.cells = [
        c for c in submission.cells if not c.metadata["nbgrader"].get("grade") or c.metadata["nbgrader"].get("solution")
    ]
    plan = build_plan(instructor, release, submission)
    assert [step.grade_id for step in plan.steps if step.kind == "test"] == ["test-square", "test-mean"]
    assert "test cell 'test-square' was missing and has been restored" in plan.warnings


def test_stripped_metadata_still_matches_answers(
    instructor: NotebookNode, release: NotebookNode, answered: Fill, correct: dict[str, str]
) -> None:
    submission = answered(release, correct)
    for cell in submission.cells:
        cell.metadata = NotebookNode()
        cell.pop("id", None)
    plan = build_plan(instructor, release, submission)
    assert correct["square"] in sources(plan)
    assert correct["mean"] in sources(plan)
    assert [step.kind for step in plan.steps].count("test") == 2
    assert plan.warnings == []


def test_stripped_metadata_and_retyped_locked_cell(
    instructor: NotebookNode, release: NotebookNode, answered: Fill, correct: dict[str, str]
) -> None:
    """Another editor dropped all metadata and the student retyped the setup cell."""
    submission = answered(release, correct)
    for cell in submission.cells:
        cell.metadata = NotebookNode()
        cell.pop("id", None)
    submission.cells[1].source = "import math\nNUMBERS = [1.0] * 10  # retyped"
    plan = build_plan(instructor, release, submission)
    setup = [s for s in plan.steps if s.source.startswith("import math\n\nwith open")]
    assert len(setup) == 1  # the instructor's setup cell still runs
    assert correct["mean"] in sources(plan)


def test_copied_cells_and_duplicate_ids(
    instructor: NotebookNode, release: NotebookNode, answered: Fill, correct: dict[str, str]
) -> None:
    submission = answered(release, correct)
    square_answer = next(c for c in submission.cells if c.metadata["nbgrader"].get("grade_id") == "square")
    copy_of_answer = copy.deepcopy(square_answer)
    copy_of_answer.source = "def square(x):\n    return x ** 2  # second attempt"
    index = submission.cells.index(square_answer)
    submission.cells.insert(index + 1, copy_of_answer)
    test_copy = copy.deepcopy(submission.cells[index + 2])
    submission.cells.append(test_copy)
    plan = build_plan(instructor, release, submission)
    assert "cell 'square' appears 2 times; the first one was graded" in plan.warnings
    steps = sources(plan)
    # the student's second attempt still runs right after the first, so later definitions win, as in Jupyter
    assert steps.index(copy_of_answer.source) == steps.index(correct["square"]) + 1
    assert [step.kind for step in plan.steps].count("test") == 2


def test_cells_the_student_added_run_where_they_were_put(
    instructor: NotebookNode, release: NotebookNode, answered: Fill, correct: dict[str, str]
) -> None:
    submission = answered(release, correct)
    helper = new_code_cell("def helper():\n    return 1")
    submission.cells.insert(0, new_markdown_cell("my notes"))
    submission.cells.insert(4, helper)
    plan = build_plan(instructor, release, submission)
    steps = sources(plan)
    assert helper.source in steps
    assert steps.index(helper.source) < steps.index(correct["square"])


def test_missing_answer_falls_back_to_blank_version(
    instructor: NotebookNode, release: NotebookNode, answered: Fill, correct: dict[str, str]
) -> None:
    submission = answered(release, correct)
    submission.cells = [c for c in submission.cells if c.metadata["nbgrader"].get("grade_id") != "mean"]
    plan = build_plan(instructor, release, submission)
    assert "answer cell 'mean' was missing; its blank version was used" in plan.warnings
    assert any("raise NotImplementedError()" in s for s in sources(plan))


def test_wrong_assignment_is_refused(
    instructor: NotebookNode, release: NotebookNode, answered: Fill, correct: dict[str, str]
) -> None:
    other = copy.deepcopy(release)
    for cell in other.cells:
        cell.metadata["nbgrader"]["grade_id"] = "other-" + cell.metadata["nbgrader"]["grade_id"]
        cell.pop("id", None)
        cell.source = "x = 1"
    with pytest.raises(WrongAssignment, match="none of the submission's graded cells belongs"):
        build_plan(instructor, release, other)
    unrelated = NotebookNode(
        cells=[new_code_cell("print('hello')")], metadata=NotebookNode(), nbformat=4, nbformat_minor=5
    )
    with pytest.raises(WrongAssignment, match="no cell of the submission matches"):
        build_plan(instructor, release, unrelated)
