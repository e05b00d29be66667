"""Static checks of the sample courses: metadata, notebook format, nbgrader markup, data."""

from __future__ import annotations

import ast
import filecmp
import re
import tomllib
import types
from pathlib import Path
from typing import Any

import nbformat
import pytest

from sabaq_grading.course import load_course

EXPECTED_SLUGS = ["epidemic-modelling", "python-data-science"]
URDU_LETTERS = re.compile(r"[\u0600-\u06FF]")
NBGRADER_KEYS = {"grade", "grade_id", "locked", "schema_version", "solution", "task"}


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(str(path), as_version=nbformat.NO_CONVERT)


def _nbgrader(cell: Any) -> dict[str, Any]:
    return dict(cell.get("metadata", {}).get("nbgrader", {}))


def test_both_sample_courses_exist(courses_dir: Path) -> None:
    assert sorted(path.parent.name for path in courses_dir.glob("*/course.toml")) == EXPECTED_SLUGS


def test_course_toml_loads(course_slug: str, courses_dir: Path) -> None:
    course = load_course(courses_dir / course_slug)
    assert course.id == course_slug
    assert course.version == "1.0.0"
    assert course.licence == "CC-BY-4.0"
    assert course.language == "en"
    assert course.organisation == "Sabaq Partner Universities"
    assert all(author.role in {"author", "reviewer", "translator"} for author in course.authors)
    assert len(course.assignments) >= 2
    assert len({item.path for item in course.items}) == len(course.items)


def test_course_lists_every_notebook(course_slug: str, courses_dir: Path) -> None:
    root = courses_dir / course_slug
    listed = {item.path for item in load_course(root).items}
    on_disk = {path.resolve() for path in root.rglob("*.ipynb") if ".ipynb_checkpoints" not in path.parts}
    assert on_disk == listed


def test_expected_lessons(courses_dir: Path) -> None:
    lessons = {
        course.id: [item.relpath for item in course.lessons] for course in map(load_course, _course_dirs(courses_dir))
    }
    assert len(lessons["python-data-science"]) >= 4
    assert len(lessons["epidemic-modelling"]) >= 3


def _course_dirs(courses_dir: Path) -> list[Path]:
    return [courses_dir / slug for slug in EXPECTED_SLUGS]


@pytest.mark.parametrize("kind", ["lesson", "assignment"])
def test_notebooks_are_valid_v4_without_outputs(kind: str, courses_dir: Path) -> None:
    for course in map(load_course, _course_dirs(courses_dir)):
        for item in course.items:
            if item.kind != kind:
                continue
            notebook = _read(item.path)
            nbformat.validate(notebook)
            assert notebook.nbformat == 4, item.relpath
            assert notebook.metadata["kernelspec"]["name"] == "python3", item.relpath
            for cell in notebook.cells:
                if cell.cell_type == "code":
                    assert cell.outputs == [], f"{item.relpath}: committed outputs"
                    assert cell.execution_count is None, f"{item.relpath}: execution_count is set"


def test_lesson_has_a_widget(lesson: Any) -> None:
    widget = re.compile(r"^(MultipleChoice|NumericAnswer|ParameterExplorer)\(", re.MULTILINE)
    shown = [cell for cell in _read(lesson.path).cells if cell.cell_type == "code" and widget.search(cell.source)]
    assert shown, "every lesson ends a cell with a quiz widget or an explorer"


def test_each_course_has_a_lesson_in_urdu(courses_dir: Path) -> None:
    urdu = [
        (course, item)
        for course in map(load_course, _course_dirs(courses_dir))
        for item in course.items
        if item.language == "ur"
    ]
    assert {course.id for course, _ in urdu} == set(EXPECTED_SLUGS), "every course has a lesson with language = \"ur\""
    for _, item in urdu:
        assert item.kind == "lesson"
        notebook = _read(item.path)
        for cell in notebook.cells:
            if cell.cell_type == "markdown":
                letters = [ch for ch in cell.source if ch.isalpha()]
                urdu_letters = URDU_LETTERS.findall(cell.source)
                assert len(urdu_letters) > 0.6 * len(letters), f"markdown cell not in Urdu: {cell.source[:80]!r}"
            else:
                compile(cell.source, item.relpath, "exec")
        english = item.path.with_name(item.path.name.replace(".ur.ipynb", ".ipynb"))
        assert english.is_file(), "the Urdu lesson translates an English lesson"
        code = [c.source for c in _read(english).cells if c.cell_type == "code"]
        assert len(code) == len([c for c in notebook.cells if c.cell_type == "code"])
        assert "صرف انگریزی میں" in notebook.cells[0].source, "the Urdu lesson says which lessons are English only"
        for cell in notebook.cells:
            alt = cell.get("metadata", {}).get("sabaq", {}).get("alt", "")
            if alt:
                assert len(URDU_LETTERS.findall(alt)) > 0.6 * len([ch for ch in alt if ch.isalpha()]), alt[:60]


def test_assignment_uses_nbgrader_markup(assignment: Any) -> None:
    notebook = _read(assignment.path)
    cells = [(cell, _nbgrader(cell)) for cell in notebook.cells]
    ids = [meta["grade_id"] for _, meta in cells if meta]
    assert len(ids) == len(set(ids)), "grade ids are unique"
    for cell, meta in cells:
        if not meta:
            continue
        assert set(meta) >= NBGRADER_KEYS, meta
        assert meta["schema_version"] == 3 and meta["task"] is False
        if meta["grade"]:
            assert meta["points"] > 0
        if meta["solution"]:
            assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source
        if meta["grade"] and not meta["solution"]:
            assert cell.cell_type == "code" and meta["locked"], "test cells are locked code cells"
    tests = [cell for cell, meta in cells if meta.get("grade") and not meta.get("solution")]
    hidden = [cell for cell in tests if "### BEGIN HIDDEN TESTS" in cell.source]
    written = [cell for cell, meta in cells if meta.get("grade") and meta.get("solution")]
    answers = [cell for cell, meta in cells if meta.get("solution") and not meta.get("grade")]
    assert tests and answers
    assert len(hidden) == len(tests), "every test cell also has hidden tests"
    assert any(cell.cell_type == "markdown" for cell in written), "a manually graded written answer"
    for cell in tests:
        visible = cell.source.split("### BEGIN HIDDEN TESTS")[0]
        assert "isinstance(" in visible, "visible tests check the type of the answer"


def test_every_assert_says_what_is_wrong(assignment: Any) -> None:
    for cell in _read(assignment.path).cells:
        meta = _nbgrader(cell)
        if not (meta.get("grade") and not meta.get("solution")):
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Assert):
                assert isinstance(node.msg, ast.Constant | ast.JoinedStr), (
                    f"{meta['grade_id']}: an assert without a message: {ast.unparse(node)[:80]}"
                )


def test_visible_asserts_fit_on_one_line(assignment: Any) -> None:
    """The grader shows a learner an assert's message only when the assert is on one line."""
    for cell in _read(assignment.path).cells:
        meta = _nbgrader(cell)
        if not (meta.get("grade") and not meta.get("solution")):
            continue
        visible = cell.source.split("### BEGIN HIDDEN TESTS")[0]
        for node in ast.walk(ast.parse(visible + "\n" if visible.strip() else "pass")):
            if isinstance(node, ast.Assert):
                assert node.lineno == node.end_lineno, f"{meta['grade_id']}: line {node.lineno} spans lines"


def test_assignment_marks_add_up(assignment: Any) -> None:
    notebook = _read(assignment.path)
    metas = [_nbgrader(cell) for cell in notebook.cells]
    auto = sum(m["points"] for m in metas if m.get("grade") and not m.get("solution"))
    manual = sum(m["points"] for m in metas if m.get("grade") and m.get("solution"))
    intro = notebook.cells[0].source
    assert f"{auto} points are graded automatically" in intro
    assert f"{manual} points by your tutor" in intro
    assert f"{auto + manual} in total" in intro


def _generator(course_dir: Path) -> types.ModuleType:
    """Load data/generate.py without writing bytecode into the course."""
    path = course_dir / "data" / "generate.py"
    module = types.ModuleType(f"generate_{course_dir.name.replace('-', '_')}")
    module.__file__ = str(path)
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), module.__dict__)
    return module


def test_data_are_regenerated_identically(course_slug: str, courses_dir: Path, tmp_path: Path) -> None:
    course_dir = courses_dir / course_slug
    generator = _generator(course_dir)
    assert isinstance(generator.SEED, int)
    assert "seed ``SEED``" in generator.__doc__
    written = generator.write_all(tmp_path)
    assert written
    for path in written:
        relative = path.relative_to(tmp_path)
        committed = course_dir / relative
        assert committed.is_file(), f"{relative} is not committed"
        assert filecmp.cmp(path, committed, shallow=False), f"{relative} differs from the generator's output"
        rows = len(path.read_text(encoding="utf-8").splitlines()) - 1
        assert 50 <= rows <= 1000, f"{relative}: {rows} rows; keep data sets small"


def test_assignment_data_files_are_copies(assignment: Any, courses_dir: Path) -> None:
    folder = assignment.path.parent
    for data in folder.glob("*.csv"):
        original = courses_dir / assignment.slug / "data" / data.name
        assert filecmp.cmp(data, original, shallow=False), f"{data.name} differs from data/{data.name}"
    notebook = _read(assignment.path)
    for name in re.findall(r'read_csv\("([^"]+)"\)', "\n".join(cell.source for cell in notebook.cells)):
        assert (folder / name).is_file(), f"the assignment reads {name}, which is not in its folder"


def test_lessons_read_data_from_the_course(lesson: Any) -> None:
    text = "\n".join(cell.source for cell in _read(lesson.path).cells)
    for name in re.findall(r'read_csv\("([^"]+)"\)', text):
        assert name.startswith("../data/") and (lesson.path.parent / name).is_file(), name
    assert "http://" not in text and "https://" not in text


def test_toml_has_only_contract_fields(course_slug: str, courses_dir: Path) -> None:
    data = tomllib.loads((courses_dir / course_slug / "course.toml").read_text(encoding="utf-8"))
    for module in data["modules"]:
        for item in module["items"]:
            assert set(item) <= {"kind", "path", "language", "title"}, item


def test_quizzes_explain_only_when_earned_and_hint_on_wrong_answers(lesson: Any) -> None:
    """Every quiz limits its attempts (so its explanation shows after a right answer or the last
    attempt), explains the idea, and a numeric question hints at the common wrong answers."""
    quizzes = 0
    for cell in _read(lesson.path).cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                if node.func.id not in {"MultipleChoice", "NumericAnswer"}:
                    continue
                quizzes += 1
                keywords = {keyword.arg: keyword.value for keyword in node.keywords}
                where = f"{lesson.relpath} cell {cell.id}"
                assert "max_attempts" in keywords, f"{where}: no max_attempts"
                assert "explanation" in keywords, f"{where}: no explanation"
                assert "reveal" not in keywords, f"{where}: keep the default reveal policy"
                if node.func.id == "NumericAnswer":
                    assert "hint" in keywords, f"{where}: a numeric question without a hint"
                else:
                    feedback = keywords.get("feedback")
                    assert isinstance(feedback, ast.List), f"{where}: no feedback per option"
    assert quizzes >= 2, f"{lesson.relpath}: fewer than two quiz questions"
