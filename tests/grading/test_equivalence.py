"""Our scores equal plain ``nbgrader autograde``'s on the same submissions (and the expected ones)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from sabaq_grading.engine import Grader, GradingSettings
from sabaq_grading.sandbox import Limits, sandbox_available

ROOT = Path(__file__).parents[2]
BIN = Path(sys.executable).parent
CELL_TIMEOUT = 3  # seconds, for both graders: one variant never finishes a test
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sandbox_available() is not None, reason=f"no sandbox: {sandbox_available()}"),
]


def load_samples():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("sabaq_bench_samples", ROOT / "bench" / "samples.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_scores_match_nbgrader_autograde(tmp_path: Path) -> None:
    samples = load_samples()
    release = samples.student_version()
    course = tmp_path / "course"
    source = course / "source" / "squares"
    source.mkdir(parents=True)
    shutil.copy(samples.SQUARES, source)
    shutil.copy(samples.SQUARES.parent / "numbers.csv", source)
    (course / "nbgrader_config.py").write_text(f"c = get_config()\nc.CourseDirectory.root = {str(course)!r}\n")
    expected: dict[str, float] = {}
    submissions: dict[str, nbformat.NotebookNode] = {}
    name, square, mean, score = samples.TIMEOUT_VARIANT
    variants = {**samples.VARIANTS, name: (square, mean, score)}
    for name, (square, mean, score) in variants.items():
        for stripped in (False, True):
            student = f"{name}-{'stripped' if stripped else 'intact'}"
            submissions[student] = samples.fill(release, square, mean, strip_metadata=stripped)
            expected[student] = score
    for student, notebook in submissions.items():
        if student.endswith("intact"):  # nbgrader needs its metadata; we grade both forms
            target = course / "submitted" / student / "squares"
            target.mkdir(parents=True)
            nbformat.write(notebook, target / "squares.ipynb")
            shutil.copy(samples.SQUARES.parent / "numbers.csv", target)
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"}
    autograde = ["autograde", "squares", "--create", f"--ExecutePreprocessor.timeout={CELL_TIMEOUT}"]
    for command in (["generate_assignment", "squares", "--create"], autograde):
        subprocess.run([str(BIN / "nbgrader"), *command], cwd=course, env=env, check=True, capture_output=True)
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        theirs = {
            student: sum(
                grade.score or 0
                for grade in gradebook.find_submission_notebook("squares", "squares", student).grades
                if grade.cell.name.startswith("test-")
            )
            for student in submissions
            if student.endswith("intact")
        }
    with Grader(GradingSettings(limits=Limits(cell_timeout=CELL_TIMEOUT))) as grader:
        ours = {student: grader.grade(samples.SQUARES, notebook)["score"] for student, notebook in submissions.items()}
    for student, score in ours.items():
        assert score == expected[student], student
        if student in theirs:
            assert score == theirs[student], student
