"""The ``sabaq`` command as a user runs it: outputs, files written and exit codes."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat import NotebookNode

from sabaq_grading.report import validate_report
from sabaq_grading.sandbox import sandbox_available

SABAQ = str(Path(sys.executable).parent / "sabaq")
needs_sandbox = pytest.mark.skipif(sandbox_available() is not None, reason=f"no sandbox: {sandbox_available()}")


def sabaq(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    return subprocess.run([SABAQ, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


@pytest.mark.parametrize(
    "command",
    [[], ["validate"], ["release"], ["grade"], ["keys", "new"], ["bundle"], ["verify"], ["diff"], ["publish"],
     ["fetch"], ["build"]],
)
def test_every_command_has_help(command: list[str]) -> None:
    result = sabaq(*command, "--help")
    assert result.returncode == 0
    assert "usage: sabaq" in result.stdout


def test_usage_errors_exit_2(tmp_path: Path, squares_path: Path) -> None:
    assert sabaq().returncode == 2
    assert sabaq("grade", str(squares_path)).returncode == 2  # no submission
    missing = sabaq("grade", str(squares_path), str(tmp_path / "nope.ipynb"))
    assert missing.returncode == 2
    assert "nope.ipynb: no such notebook file" in missing.stderr
    assert missing.stdout == ""
    assert sabaq("grade", str(squares_path), str(squares_path), "--jobs", "0").returncode == 2


def test_more_jobs_than_cores_is_warned_about(squares_path: Path) -> None:
    """Time limits are wall-clock, as nbgrader's: runs that share a core run slower, so a
    verdict near the limit would depend on how busy the grader is."""
    jobs = len(os.sched_getaffinity(0)) + 1
    result = sabaq("grade", str(squares_path), "--jobs", str(jobs), "--unsafe-no-sandbox", str(squares_path))
    assert result.returncode == 0, result.stderr
    assert f"--jobs {jobs}: {jobs} sandboxes in parallel are more than the {jobs - 1} cores" in result.stderr
    assert json.loads(result.stdout)["status"] == "graded"
    fits = sabaq("grade", str(squares_path), "--jobs", "1", "--unsafe-no-sandbox", str(squares_path))
    assert fits.returncode == 0 and "cores" not in fits.stderr


@needs_sandbox
def test_grade_prints_one_report_per_submission_in_order(
    tmp_path: Path,
    squares_path: Path,
    release: NotebookNode,
    answered,
    correct,  # type: ignore[no-untyped-def]
) -> None:
    good = tmp_path / "good.ipynb"
    nbformat.write(answered(release, correct), good)
    blank = tmp_path / "blank.ipynb"
    nbformat.write(release, blank)
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{ not json")
    feedback = tmp_path / "feedback"
    names = ["good.ipynb", "broken.ipynb", "./blank.ipynb", "good.ipynb"]
    result = sabaq("grade", str(squares_path), *names, "--jobs", "2", "--feedback-dir", str(feedback), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    reports = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["submission"] for r in reports] == names
    for report in reports:
        validate_report(report)
    assert [r["status"] for r in reports] == ["graded", "error", "graded", "graded"]
    assert [r["score"] for r in reports] == [5.0, 0.0, 0.0, 5.0]
    assert "grading" in result.stderr  # the progress bar
    pages = sorted(feedback.glob("*.html"))
    assert [p.name for p in pages] == ["blank.html", "broken.html", "good-2.html", "good.html"]
    assert "Score: 5 / 6" in (feedback / "good.html").read_text()
    assert "square(-4)" not in "".join(page.read_text() for page in pages)


@needs_sandbox
def test_grade_keeps_the_prepared_assignment_unless_told_not_to(
    tmp_path: Path, squares_path: Path, release: NotebookNode, answered, correct  # type: ignore[no-untyped-def]
) -> None:
    submission = tmp_path / "good.ipynb"
    nbformat.write(answered(release, correct), submission)
    cache = tmp_path / "cache"
    env = {**os.environ, "SABAQ_CACHE_DIR": str(cache)}

    def grade(*extra: str) -> list[dict[str, object]]:
        result = subprocess.run([SABAQ, "grade", str(squares_path), str(submission), "--quiet", *extra],
                                capture_output=True, text=True, env=env, timeout=300)
        assert result.returncode == 0, result.stderr
        reports = [json.loads(line) for line in result.stdout.splitlines()]
        for report in reports:
            report.pop("timings")
        return reports

    uncached = grade("--no-cache")
    assert not cache.exists()
    assert grade() == uncached  # prepares and keeps it
    assert len(list((cache / "assignments").glob("*.json"))) == 1
    assert grade() == uncached  # reuses it
    assert len(list((cache / "assignments").glob("*.json"))) == 1


@needs_sandbox
def test_feedback_pages_keep_each_student_in_nbgrader_layout(
    tmp_path: Path, squares_path: Path, release: NotebookNode, answered, correct  # type: ignore[no-untyped-def]
) -> None:
    for student, answers in (("alice", correct), ("bob", {})):
        folder = tmp_path / "submitted" / student / "squares"
        folder.mkdir(parents=True)
        nbformat.write(answered(release, answers) if answers else release, folder / "squares.ipynb")
    feedback = tmp_path / "feedback"
    result = sabaq("grade", str(squares_path), "submitted/alice/squares/squares.ipynb",
                   "submitted/bob/squares/squares.ipynb", "--quiet", "--feedback-dir", str(feedback), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    alice = (feedback / "alice" / "squares" / "squares.html").read_text()
    bob = (feedback / "bob" / "squares" / "squares.html").read_text()
    assert "Score: 5 / 6" in alice and "Score: 0 / 6" in bob
    assert "submitted/alice/squares/squares.ipynb" in alice


@needs_sandbox
def test_validate_accepts_the_fixture_course(squares_path: Path) -> None:
    result = sabaq("validate", str(squares_path.parents[2]), "--quiet")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "sound" in result.stdout


def _broken_assignment(tmp_path: Path, squares_path: Path) -> Path:
    notebook = nbformat.read(squares_path, as_version=4)
    by_id = {c.metadata["nbgrader"]["grade_id"]: c for c in notebook.cells}
    by_id["test-square"].source = "assert square(3) is not None"  # weak: passes for the 'anything' stand-in
    by_id["test-mean"].source = "assert mean([2, 4]) == 4"  # wrong: the reference fails it
    extra = copy.deepcopy(by_id["test-mean"])
    extra.metadata["nbgrader"]["grade_id"] = "test-free"
    extra.source = "assert True"  # earns points for the blank version
    notebook.cells.append(extra)
    target = tmp_path / "source" / "squares" / "squares.ipynb"
    target.parent.mkdir(parents=True)
    shutil.copy(squares_path.parent / "numbers.csv", target.parent)
    nbformat.write(notebook, target)
    return target


@needs_sandbox
def test_validate_flags_unsound_assignments_with_cell_and_fix(tmp_path: Path, squares_path: Path) -> None:
    target = _broken_assignment(tmp_path, squares_path)
    result = sabaq("validate", str(target), "--quiet")
    assert result.returncode == 1
    out = result.stdout
    assert "[test-mean]: the reference solution fails this test" in out
    assert "[test-free]: the blank student version earns points" in out
    assert "[test-square]: weak test: it also passes when every answer is an object that equals everything" in out
    assert "fix:" in out


def test_validate_reports_static_problems(tmp_path: Path, squares_path: Path) -> None:
    notebook = nbformat.read(squares_path, as_version=4)
    notebook.cells[4].metadata["nbgrader"]["grade_id"] = "square"  # duplicate id
    notebook.cells[7].source += "\n### BEGIN HIDDEN TESTS\nassert True"  # unbalanced
    target = tmp_path / "bad.ipynb"
    nbformat.write(notebook, target)
    result = sabaq("validate", str(target), "--quiet")
    assert result.returncode == 1
    assert "grade id repeats cell 4" in result.stdout
    assert "hidden tests markers are unbalanced (1 BEGIN, 0 END)" in result.stdout


def test_validate_and_release_refuse_bad_courses(tmp_path: Path) -> None:
    (tmp_path / "course.toml").write_text('id = "x"\n')
    result = sabaq("validate", str(tmp_path))
    assert result.returncode == 3
    assert "`title` is missing" in result.stderr
    assert sabaq("release", str(tmp_path / "nothing"), "--out", str(tmp_path / "out")).returncode == 3


def test_release_writes_student_versions(tmp_path: Path, squares_path: Path) -> None:
    out = tmp_path / "student"
    result = sabaq("release", str(squares_path.parents[2]), "--out", str(out))
    assert result.returncode == 0, result.stderr
    released = nbformat.read(out / "release" / "squares" / "squares.ipynb", as_version=4)  # where nbgrader puts it
    text = json.dumps(released)
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text and "return x * x" not in text
    assert (out / "release" / "squares" / "numbers.csv").is_file()
    assert (out / "lessons" / "functions.ipynb").is_file()


@needs_sandbox
def test_header_and_footer_frame_the_release_and_grade_like_nbgrader(tmp_path: Path, squares_path: Path) -> None:
    course = tmp_path / "course"
    shutil.copytree(squares_path.parents[2], course)
    header = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("Course policy: work alone."),
                                             nbformat.v4.new_code_cell("HEADER_RAN = True")])
    footer = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("Submit before Friday.")])
    nbformat.write(header, course / "header.ipynb")
    nbformat.write(footer, course / "footer.ipynb")
    toml = course / "course.toml"
    toml.write_text('header = "header.ipynb"\nfooter = "footer.ipynb"\n' + toml.read_text())
    out = tmp_path / "out"
    assert sabaq("release", str(course), "--out", str(out)).returncode == 0
    released = nbformat.read(out / "release" / "squares" / "squares.ipynb", as_version=4)
    assert released.cells[0].source == "Course policy: work alone."
    assert released.cells[-1].source == "Submit before Friday."
    graded = sabaq("grade", str(course / "source" / "squares" / "squares.ipynb"), str(out / "release" / "squares"
                   / "squares.ipynb"), "--header", str(course / "header.ipynb"), "--footer",
                   str(course / "footer.ipynb"), "--quiet")
    assert graded.returncode == 0, graded.stderr
    report = json.loads(graded.stdout)
    assert report["status"] == "graded" and report["score"] == 0 and report["warnings"] == []
    toml.write_text('header = "missing.ipynb"\n' + toml.read_text().split("\n", 2)[2])
    refused = sabaq("release", str(course), "--out", str(out))
    assert refused.returncode == 3 and "`header` names 'missing.ipynb'" in refused.stderr, refused.stderr


def test_without_a_sandbox_grading_is_refused_unless_unsafe_is_asked_for(
    tmp_path: Path,
    squares_path: Path,
    release: NotebookNode,
    answered,  # type: ignore[no-untyped-def]
    correct,  # type: ignore[no-untyped-def]
) -> None:
    submission = tmp_path / "good.ipynb"
    nbformat.write(answered(release, correct), submission)
    env = {**os.environ, "PATH": str(tmp_path / "no-bwrap-here")}  # bubblewrap cannot be found
    command = [SABAQ, "grade", str(squares_path), str(submission)]
    refused = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert refused.returncode == 4
    assert "bubblewrap" in refused.stderr
    assert refused.stdout == ""
    unsafe = subprocess.run([*command, "--unsafe-no-sandbox"], capture_output=True, text=True, env=env, timeout=120)
    assert unsafe.returncode == 0, unsafe.stderr
    assert "WARNING: --unsafe-no-sandbox" in unsafe.stderr
    assert json.loads(unsafe.stdout)["score"] == 5.0
