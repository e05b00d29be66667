"""Prepared assignments kept between runs: reused only when every input is the same."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from sabaq_grading.engine import Assignment

FIELDS = ("name", "instructor", "release", "checksum", "max_score", "warnings", "preload")


def fields(assignment: Assignment) -> tuple[object, ...]:
    return tuple(getattr(assignment, name) for name in FIELDS)


@pytest.fixture()
def assignment_dir(tmp_path: Path, squares_path: Path) -> Path:
    folder = tmp_path / "source" / "squares"
    shutil.copytree(squares_path.parent, folder)
    return folder


def entries(cache: Path) -> list[Path]:
    return sorted((cache / "assignments").glob("*.json"))


def test_a_kept_assignment_equals_a_fresh_one(tmp_path: Path, assignment_dir: Path) -> None:
    notebook, cache = assignment_dir / "squares.ipynb", tmp_path / "cache"
    fresh = Assignment.from_notebook(notebook)
    first = Assignment.cached(notebook, directory=cache)
    assert len(entries(cache)) == 1
    kept = Assignment.cached(notebook, directory=cache)
    assert fields(first) == fields(fresh) == fields(kept)
    assert kept.files == fresh.files == {"numbers.csv": (assignment_dir / "numbers.csv").read_bytes()}
    assert len(entries(cache)) == 1


def test_a_kept_assignment_needs_no_nbgrader_preprocessors(tmp_path: Path, assignment_dir: Path) -> None:
    """What the cache is for: a warm start does not import nbgrader's preprocessors (nbconvert, SQLAlchemy)."""
    cache = tmp_path / "cache"
    probe = (
        "import sys\n"
        "from pathlib import Path\n"
        "from sabaq_grading.startup import light_nbgrader, skip_format_checkers\n"
        "skip_format_checkers(); light_nbgrader()\n"
        "from sabaq_grading.engine import Assignment\n"
        f"Assignment.cached(Path({str(assignment_dir / 'squares.ipynb')!r}), directory=Path({str(cache)!r}))\n"
        "print(sorted(m for m in ('nbgrader.preprocessors', 'nbconvert', 'sqlalchemy') if m in sys.modules))\n"
    )

    def loaded() -> list[str]:
        result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        return list(json.loads(result.stdout.strip().replace("'", '"')))

    assert "nbgrader.preprocessors" in loaded()  # cold: prepared with nbgrader
    assert loaded() == []  # warm


@pytest.mark.parametrize("change", ["instructor", "data file", "new data file", "header", "autotests.yml"])
def test_any_changed_input_prepares_afresh(tmp_path: Path, assignment_dir: Path, change: str) -> None:
    notebook, cache = assignment_dir / "squares.ipynb", tmp_path / "cache"
    header = tmp_path / "header.ipynb"
    header_notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("Course header")])
    nbformat.write(header_notebook, header)
    before = Assignment.cached(notebook, header=header, directory=cache)
    if change == "instructor":
        content = nbformat.read(notebook, as_version=4)
        content.cells[0].source += "\n\nEdited."
        nbformat.write(content, notebook)
    elif change == "data file":
        (assignment_dir / "numbers.csv").write_text("1\n2\n")
    elif change == "new data file":
        (assignment_dir / "extra.txt").write_text("more")
    elif change == "header":
        header_notebook.cells[0].source = "Another header"
        nbformat.write(header_notebook, header)
    else:
        (assignment_dir.parent.parent / "autotests.yml").write_text("dispatch: {}\n")
    after = Assignment.cached(notebook, header=header, directory=cache)
    assert len(entries(cache)) == 2
    assert fields(after) == fields(Assignment.from_notebook(notebook, header=header))
    if change in ("instructor", "header"):
        assert after.release != before.release
    if change in ("data file", "new data file"):
        assert after.files != before.files


@pytest.mark.parametrize("damage", ["not json", "other key", "instructor edited", "missing field", "max_score raised",
                                    "release cut"])
def test_a_damaged_entry_is_ignored_and_replaced(tmp_path: Path, assignment_dir: Path, damage: str) -> None:
    notebook, cache = assignment_dir / "squares.ipynb", tmp_path / "cache"
    fresh = Assignment.cached(notebook, directory=cache)
    (entry,) = entries(cache)
    stored = json.loads(entry.read_text())
    if damage == "not json":
        entry.write_text("{ half an entry")
    elif damage == "other key":
        stored["key"] = "0" * 64
        entry.write_text(json.dumps(stored))
    elif damage == "instructor edited":  # a test cell weakened: its checksum no longer matches
        for cell in stored["instructor"]["cells"]:
            if cell["cell_type"] == "code" and "assert" in cell["source"]:
                cell["source"] = "pass"
        entry.write_text(json.dumps(stored))
    elif damage == "missing field":
        del stored["release"]
        entry.write_text(json.dumps(stored))
    elif damage == "max_score raised":
        stored["max_score"] = 1000.0
        entry.write_text(json.dumps(stored))
    else:  # the release decides which cells are answers and whether one was left as released
        stored["release"]["cells"] = stored["release"]["cells"][:1]
        entry.write_text(json.dumps(stored))
    again = Assignment.cached(notebook, directory=cache)
    assert fields(again) == fields(fresh)
    assert json.loads(entry.read_text())["checksum"] == fresh.checksum  # written back whole
    assert fields(Assignment.cached(notebook, directory=cache)) == fields(fresh)


def test_a_cache_path_that_is_a_file_only_costs_the_preparation(tmp_path: Path, assignment_dir: Path) -> None:
    cache = tmp_path / "cache"
    cache.write_text("not a directory")
    notebook = assignment_dir / "squares.ipynb"
    assert fields(Assignment.cached(notebook, directory=cache)) == fields(Assignment.from_notebook(notebook))
    assert cache.read_text() == "not a directory"


def test_the_cache_keeps_the_newest_entries(tmp_path: Path, assignment_dir: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from sabaq_grading import prepared

    monkeypatch.setattr(prepared, "MAX_ENTRIES", 2)
    notebook, cache = assignment_dir / "squares.ipynb", tmp_path / "cache"
    for round_ in range(4):
        (assignment_dir / "round.txt").write_text(str(round_))
        Assignment.cached(notebook, directory=cache)
        stamp = 1_000_000 + round_
        for path in entries(cache):  # distinct ages even on a coarse clock
            if path.stat().st_mtime > 2_000_000:
                os.utime(path, (stamp, stamp))
    kept = entries(cache)
    assert len(kept) == 2
    assert {path.stat().st_mtime for path in kept} == {1_000_002, 1_000_003}


def test_the_cache_lives_where_the_environment_says(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sabaq_grading.prepared import cache_dir

    monkeypatch.setenv("SABAQ_CACHE_DIR", str(tmp_path / "explicit"))
    assert cache_dir() == tmp_path / "explicit"
    monkeypatch.delenv("SABAQ_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "sabaq"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "sabaq"


def test_a_cache_others_can_write_is_not_used(tmp_path: Path, assignment_dir: Path) -> None:
    notebook, cache = assignment_dir / "squares.ipynb", tmp_path / "cache"
    fresh = Assignment.cached(notebook, directory=cache)
    (entry,) = entries(cache)
    stored = json.loads(entry.read_text())
    stored["max_score"] = 1000.0  # planted by another user, digest and all
    from sabaq_grading import prepared

    stored["digest"] = prepared._digest(stored)
    entry.write_text(json.dumps(stored))
    assert Assignment.cached(notebook, directory=cache).max_score == 1000.0  # the owner's own folder: trusted
    (cache / "assignments").chmod(0o777)
    assert fields(Assignment.cached(notebook, directory=cache)) == fields(fresh)  # a shared one: not
    assert json.loads(entry.read_text())["max_score"] == 1000.0  # and never written to either


def test_an_autotest_notebook_is_never_kept(tmp_path: Path, assignment_dir: Path) -> None:
    notebook, cache = assignment_dir / "squares.ipynb", tmp_path / "cache"
    content = nbformat.read(notebook, as_version=4)
    content.cells[0].source += "\n\nAUTOTEST appears in this text."  # the plain text check is conservative
    nbformat.write(content, notebook)
    Assignment.cached(notebook, directory=cache)
    assert entries(cache) == []
