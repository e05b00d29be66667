"""Each assignment's sandboxes preload the heavy libraries its instructor notebook imports."""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_notebook

from sabaq_grading.engine import Assignment, Grader, GradingSettings, run_preload
from sabaq_grading.preload import imported_packages, preload_for
from sabaq_grading.sandbox import Limits, sandbox_available
from sabaq_grading.sandboxes import MAX_PRELOAD_SETS

needs_sandbox = pytest.mark.skipif(sandbox_available() is not None, reason=f"no sandbox: {sandbox_available()}")


def test_imports_are_found_in_every_form() -> None:
    sources = [
        "import numpy as np, os.path\nfrom pandas import DataFrame",
        "%matplotlib inline\nimport matplotlib.pyplot as plt",
        "!pip list\ndef f():\n    import scipy.stats\n    from . import local",
        "this cell does not parse (\nimport sympy",
    ]
    assert imported_packages(sources) == {"numpy", "os", "pandas", "matplotlib", "scipy", "sympy"}


def test_only_installed_heavy_libraries_are_preloaded_in_a_stable_order() -> None:
    assert preload_for(frozenset({"pandas", "os", "numpy", "no_such_library_here"})) == ("numpy", "pandas")
    assert preload_for(frozenset({"statistics", "math"})) == ()


def _nbgrader(grade_id: str, **flags: object) -> dict[str, object]:
    return {"nbgrader": {"grade_id": grade_id, "schema_version": 3, "solution": False, "grade": False,
                         "locked": False, **flags}}


def _assignment(name: str, imports: str) -> Assignment:
    solution = f"{imports}\ndef f(x):\n    ### BEGIN SOLUTION\n    return x * 2\n    ### END SOLUTION"
    instructor = new_notebook(
        cells=[new_code_cell(solution, metadata=_nbgrader("f", solution=True)),
               new_code_cell("assert f(2) == 4", metadata=_nbgrader("test-f", grade=True, locked=True, points=1))],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    return Assignment.from_notebook(instructor, name=name)


def submit(assignment: Assignment, answers: dict[str, str]) -> NotebookNode:
    submission = copy.deepcopy(assignment.release)
    for cell in submission.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") in answers:
            cell.source = answers[cell.metadata["nbgrader"]["grade_id"]]
    return submission


def test_the_assignment_knows_what_to_preload() -> None:
    assert _assignment("plain", "import math").preload == ()
    assert _assignment("arrays", "import numpy as np").preload == ("numpy",)


@pytest.fixture(scope="module")
def grader() -> Iterator[Grader]:
    with Grader(GradingSettings(limits=Limits(cell_timeout=5, total_timeout=30))) as grader:
        yield grader


@needs_sandbox
def test_assignments_with_different_imports_grade_in_their_own_sandboxes(grader: Grader) -> None:
    plain, arrays = _assignment("plain", "import math"), _assignment("arrays", "import numpy as np")
    for assignment in (plain, arrays, plain):
        report = grader.grade(assignment, submit(assignment, {}))  # the blank version: 0 of 1
        assert report["status"] == "graded" and report["score"] == 0
        assert grader.grade(assignment, copy.deepcopy(assignment.instructor))["score"] == 1
    assert grader.executor_for(plain.preload) is not grader.executor_for(arrays.preload)
    assert grader.executor_for(arrays.preload) is grader.executor_for(("numpy",))


@needs_sandbox
def test_a_library_only_the_student_imports_is_preloaded_for_the_runs_after_the_first() -> None:
    with Grader(GradingSettings(limits=Limits(cell_timeout=5, total_timeout=30))) as grader:
        _student_import_is_preloaded(grader)


def _student_import_is_preloaded(grader: Grader) -> None:
    plain = _assignment("plain", "import math")
    # scores only when NumPy was imported before the student's own code ran
    answer = ("import sys\nPRELOADED = 'numpy' in sys.modules\nimport numpy\n"
              "def f(x):\n    return int(numpy.multiply(x, 2)) if PRELOADED else -1")
    submission = submit(plain, {"f": answer})
    assert run_preload(plain.preload, submission) == ("numpy",)
    assert run_preload(plain.preload, submit(plain, {})) == ()
    assert grader.grade(plain, submission)["score"] == 0  # not waited for: NumPy imported on its own
    grader.sandboxes.executor_for(("numpy",))  # started meanwhile; wait until it is ready
    assert grader.grade(plain, submission)["score"] == 1
    plain_answer = submit(plain, {"f": "import sys\ndef f(x):\n    return -1 if 'numpy' in sys.modules else 2 * x"})
    assert grader.grade(plain, plain_answer)["score"] == 1  # the assignment's own sandboxes still preload nothing


def test_a_submission_adds_its_libraries_to_the_assignments() -> None:
    arrays = _assignment("arrays", "import numpy as np")
    both = submit(arrays, {"f": "import pandas\ndef f(x):\n    return 2 * x"})
    assert run_preload(arrays.preload, both) == ("numpy", "pandas")
    assert run_preload(arrays.preload, submit(arrays, {"f": "import numpy\ndef f(x):\n    return 2 * x"})) \
        == ("numpy",)


def test_the_number_of_preload_sets_is_bounded() -> None:
    grader = Grader(GradingSettings())
    try:
        sets = [("numpy",), ("pandas",), ("matplotlib",), ("numpy", "pandas")]
        executors = {id(grader.executor_for(s)) for s in sets}
        assert len(executors) == MAX_PRELOAD_SETS + 1  # the rest share the everything-preloaded one
    finally:
        grader.close()


def test_a_fixed_preload_in_the_settings_wins() -> None:
    grader = Grader(GradingSettings(preload=("numpy",)))
    try:
        assert grader.executor_for(()) is grader.executor_for(("pandas",))
    finally:
        grader.close()
