"""The course format: loading, and one clear error per mistake."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sabaq_grading.course import find_courses, load_course
from sabaq_grading.errors import CourseError

FIXTURE = Path(__file__).parents[1] / "fixtures" / "course"


@pytest.fixture
def course_dir(tmp_path: Path) -> Path:
    target = tmp_path / "course"
    shutil.copytree(FIXTURE, target)
    return target


def rewrite(course_dir: Path, old: str, new: str) -> None:
    toml = course_dir / "course.toml"
    text = toml.read_text()
    assert old in text
    toml.write_text(text.replace(old, new))


def test_fixture_course_loads_into_typed_objects() -> None:
    course = load_course(FIXTURE)
    assert course.id == "fixture-course"
    assert course.version == "0.1.0"
    assert course.authors[0].role == "author"
    assert [item.kind for item in course.items] == ["lesson", "assignment"]
    assert course.assignments[0].assignment == "squares"
    assert course.assignments[0].path.name == "squares.ipynb"
    assert course.lessons[0].language == "en"


def test_find_courses_accepts_a_directory_of_courses(course_dir: Path) -> None:
    assert [c.id for c in find_courses(course_dir.parent)] == ["fixture-course"]
    with pytest.raises(CourseError, match=r"no course\.toml"):
        find_courses(course_dir / "lessons")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('version = "0.1.0"', 'version = "1.0"', r"`version` has the invalid value '1.0'; use semantic"),
        ('id = "fixture-course"', 'id = "Fixture Course"', r"`id` has the invalid value"),
        ('licence = "CC-BY-4.0"\n', "", r"`licence` is missing; use an SPDX id"),
        ('language = "en"', 'language = "English!"', r"`language` has the invalid value"),
        ('authors = [{ name = "Sabaq maintainers", role = "author" }]', "authors = []", r"`authors` must be"),
        ('path = "lessons/functions.ipynb"', 'path = "lessons/nope.ipynb"', r"names a missing file"),
        ('path = "lessons/functions.ipynb"', 'path = "../outside.ipynb"', r"points outside the course"),
        ('kind = "lesson"', 'kind = "video"', r"modules\[0\].items\[0\].kind` is 'video'"),
        (
            'kind = "assignment", path = "source/squares/squares.ipynb"',
            'kind = "lesson", path = "lessons/functions.ipynb"',
            r"repeats lessons/functions.ipynb; list a notebook once",
        ),
        ('title = "Fixture course"', 'title = "Fixture course"\ncolour = "blue"', r"`colour` is not a known field"),
    ],
)
def test_each_mistake_names_file_field_and_fix(course_dir: Path, old: str, new: str, expected: str) -> None:
    rewrite(course_dir, old, new)
    with pytest.raises(CourseError, match=expected) as error:
        load_course(course_dir)
    assert str(course_dir / "course.toml") in str(error.value)


def test_assignment_outside_source_layout_is_rejected(course_dir: Path) -> None:
    shutil.copy(course_dir / "lessons" / "functions.ipynb", course_dir / "lessons" / "quiz.ipynb")
    rewrite(
        course_dir,
        '{ kind = "lesson", path = "lessons/functions.ipynb" }',
        '{ kind = "assignment", path = "lessons/quiz.ipynb" }',
    )
    with pytest.raises(CourseError, match=r"source/<assignment>/<notebook>.ipynb"):
        load_course(course_dir)


def test_all_mistakes_are_reported_at_once(course_dir: Path) -> None:
    rewrite(course_dir, 'version = "0.1.0"', 'version = "x"')
    rewrite(course_dir, 'language = "en"', "language = 3")
    with pytest.raises(CourseError) as error:
        load_course(course_dir)
    assert "`version`" in str(error.value)
    assert "`language`" in str(error.value)


def test_broken_toml_and_missing_file(course_dir: Path, tmp_path: Path) -> None:
    (course_dir / "course.toml").write_text("id = [")
    with pytest.raises(CourseError, match="not valid TOML"):
        load_course(course_dir)
    with pytest.raises(CourseError, match="no such file"):
        load_course(tmp_path / "empty")
