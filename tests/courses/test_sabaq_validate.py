"""``sabaq validate`` finds both sample courses sound.

It grades each assignment in the sandbox (the reference solution earns full marks, the
blank student version zero, and no test passes for trivial stand-ins such as functions
returning None or objects equal to everything) and runs every lesson there.
"""

from __future__ import annotations

import subprocess
from pathlib import Path


def _problems(result: subprocess.CompletedProcess[str], course: Path) -> list[str]:
    """The lines of ``sabaq validate``'s output that report a problem in ``course``."""
    lines = (result.stdout + result.stderr).splitlines()
    return [line for line in lines if line.startswith(("error: ", "note: ")) and f" {course}" in line]


def test_assignments_are_sound(
    course_slug: str, courses_dir: Path, validated: dict[str, subprocess.CompletedProcess[str]]
) -> None:
    course = courses_dir / course_slug
    problems = _problems(validated[course_slug], course)
    # strict: our own courses carry neither errors nor notes
    assert not [line for line in problems if f" {course / 'source'}" in line], "\n".join(problems)


def test_course_is_sound(course_slug: str, validated: dict[str, subprocess.CompletedProcess[str]]) -> None:
    result = validated[course_slug]
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "sound" in output
