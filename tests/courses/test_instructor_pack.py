"""Each course carries what a partner needs to adopt it: an instructor pack and licence files.

The pack names every lesson and assignment, maps every autograded function to an outcome,
guides the marking of every tutor-graded answer, and its numbers are the numbers the
course's code and data give.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pandas as pd
import pytest

from sabaq_grading.course import load_course

PACK = ["README.md", "outcomes.md", "lesson-notes.md", "marking-guide.md", "references.md", "environment.yml"]


def _pack(courses_dir: Path, slug: str, name: str) -> str:
    return (courses_dir / slug / "instructor" / name).read_text(encoding="utf-8")


def test_the_pack_is_complete(course_slug: str, courses_dir: Path) -> None:
    for name in PACK:
        assert (courses_dir / course_slug / "instructor" / name).is_file(), f"instructor/{name} is missing"
    text = "\n".join(_pack(courses_dir, course_slug, name) for name in PACK)
    assert "http://" not in text and "https://" not in text


def test_licences_separate_content_from_code(course_slug: str, courses_dir: Path) -> None:
    content = (courses_dir / course_slug / "LICENSE").read_text(encoding="utf-8")
    code = (courses_dir / course_slug / "LICENSE-CODE").read_text(encoding="utf-8")
    assert "Creative Commons Attribution 4.0 International" in content and "LICENSE-CODE" in content
    assert load_course(courses_dir / course_slug).licence == "CC-BY-4.0"
    assert code.startswith("MIT License") and "data/generate.py" in code


def test_every_lesson_has_notes_and_a_time(course_slug: str, courses_dir: Path) -> None:
    course = load_course(courses_dir / course_slug)
    notes = _pack(courses_dir, course_slug, "lesson-notes.md")
    times = _pack(courses_dir, course_slug, "README.md")
    english = [item for item in course.lessons if item.language != "ur"]
    for number, _ in enumerate(english, start=1):
        assert f"## Lesson {number} " in notes, f"lesson-notes.md has no section for Lesson {number}"
        assert re.search(rf"\| Lesson {number} — .*\| lesson \|", times), f"README.md has no time for Lesson {number}"
        assert "Misconceptions" in notes
    for number, _ in enumerate(course.assignments, start=1):
        assert re.search(rf"\| Assignment {number} — .*\| assignment \|", times), f"no time for Assignment {number}"


def _cells(path: Path) -> list[Any]:
    return list(nbformat.read(str(path), as_version=4).cells)


def test_every_task_is_mapped_to_an_outcome(assignment: Any, courses_dir: Path) -> None:
    outcomes = _pack(courses_dir, assignment.slug, "outcomes.md")
    for cell in _cells(assignment.path):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution") and cell.cell_type == "code":
            for name in re.findall(r"^def (\w+)\(", cell.source, re.MULTILINE):
                assert f"`{name}`" in outcomes, f"outcomes.md does not map {name} to an outcome"


def test_every_tutor_graded_answer_has_a_marking_guide(assignment: Any, courses_dir: Path) -> None:
    guide = _pack(courses_dir, assignment.slug, "marking-guide.md")
    for cell in _cells(assignment.path):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade") and meta.get("solution"):
            section = re.search(rf"## .*`{meta['grade_id']}` \((\d+) points?\)", guide)
            assert section, f"marking-guide.md has no section for {meta['grade_id']}"
            assert int(section.group(1)) == meta["points"], f"{meta['grade_id']}: the guide's points differ"


def _final_size(r0: float) -> float:
    low, high = 1.0 - 1.0 / r0, 1.0
    while high - low > 1e-12:
        middle = (low + high) / 2
        low, high = (middle, high) if middle - 1.0 + np.exp(-r0 * middle) < 0 else (low, middle)
    return (low + high) / 2


def _peak(dt: float) -> tuple[float, float]:
    s, i, best = 0.999, 0.001, (0.0, 0.001)
    for k in range(1, round(160 / dt) + 1):
        s, i = s - dt * 0.3 * s * i, i + dt * (0.3 * s * i - 0.1 * i)
        if i > best[1]:
            best = (k * dt, i)
    return best


@pytest.mark.parametrize(
    ("phrase", "holds"),
    [
        ("`final_size(2.5)` ≈ 0.893", lambda: round(_final_size(2.5), 3) == 0.893),
        ("`overshoot(2.5)` ≈ 0.293", lambda: round(_final_size(2.5) - 0.6, 3) == 0.293),
        ("40% coverage leaves about 35% infected", lambda: round(0.6 * _final_size(2.5 * 0.6), 2) == 0.35),
        ("dt = 4: about day 48 with 35% infectious", lambda: _peak(4)[0] == 48 and round(_peak(4)[1], 2) == 0.35),
        ("dt = 1: day 41, 31%", lambda: _peak(1)[0] == 41 and round(_peak(1)[1], 2) == 0.31),
        ("dt = 0.1: day 38.6, 30.2%", lambda: np.isclose(_peak(0.1)[0], 38.6) and round(_peak(0.1)[1], 3) == 0.302),
        ("dt = 0.01: day 38.4, 30.1%", lambda: round(_peak(0.01)[0], 1) == 38.4 and round(_peak(0.01)[1], 3) == 0.301),
    ],
)
def test_epidemic_marking_guide_numbers(phrase: str, holds: Any, courses_dir: Path) -> None:
    guide = _pack(courses_dir, "epidemic-modelling", "marking-guide.md")
    assert phrase in guide, f"the guide no longer says {phrase!r}"
    assert holds(), f"the marking guide's {phrase!r} is not what the model computes"


def _facilities(courses_dir: Path) -> pd.DataFrame:
    raw = pd.read_csv(courses_dir / "python-data-science" / "data" / "facilities.csv")
    raw["district"] = raw["district"].str.strip().str.title()
    visits = raw["outpatient_visits"].astype(float)
    raw["outpatient_visits"] = visits.where(visits >= 0)
    return raw.drop_duplicates().reset_index(drop=True)


def test_data_science_marking_guide_numbers(courses_dir: Path) -> None:
    guide = _pack(courses_dir, "python-data-science", "marking-guide.md")
    clean = _facilities(courses_dir)
    one = clean.drop_duplicates("facility_id")
    per_district = one["district"].value_counts()
    hospitals = one[one["facility_type"] == "hospital"]["district"].value_counts()
    completeness = clean["outpatient_visits"].notna().groupby(clean["district"]).mean()
    assert "Central and West are only 87.5% complete" in guide
    assert completeness["Central"] == completeness["West"] == 0.875 == completeness.min()
    assert "East has 11, South 6" in guide and (per_district["East"], per_district["South"]) == (11, 6)
    assert "Central has four of the seven hospitals, North none" in guide
    assert hospitals["Central"] == 4 and hospitals.sum() == 7 and "North" not in hospitals
    visits = pd.read_csv(courses_dir / "python-data-science" / "data" / "clinic_visits.csv")
    medians = visits.groupby("district")["wait_minutes"].median()
    assert "Central as the longest median wait (57.5 minutes) and East as the shortest (30 minutes)" in guide
    assert (medians.idxmax(), medians.max(), medians.idxmin(), medians.min()) == ("Central", 57.5, "East", 30.0)


def _campaign_infected_and_vaccinated(rate: float, start_day: int) -> tuple[float, float]:
    """Lesson 3's campaign model (dt = 0.25, 200 days): the infected and vaccinated shares at the end."""
    s, i, r, v, dt = 0.999, 0.001, 0.0, 0.0, 0.25
    for k in range(800):
        vaccination = rate * s * dt if k * dt >= start_day else 0.0
        infections, recoveries = 0.3 * s * i * dt, 0.1 * i * dt
        s, i, r, v = s - infections - vaccination, i + infections - recoveries, r + recoveries, v + vaccination
    return i + r, v


def test_lesson_notes_numbers(courses_dir: Path) -> None:
    notes = _pack(courses_dir, "epidemic-modelling", "lesson-notes.md")
    early, late = _campaign_infected_and_vaccinated(0.01, 0), _campaign_infected_and_vaccinated(0.02, 40)
    z = 0.55 * _final_size(3.0 * 0.55)
    checks = {
        "overshoots by about 27 percentage points for\n  R0 = 3 (94.0% against 66.7%)":
            round((_final_size(3.0) - 2 / 3) * 100) == 27 and round(_final_size(3.0), 3) == 0.940,
        "falls from 94.0% to 66.8%": round(1 - np.exp(-3.0 * z), 3) == 0.668,
        "(about 90% infected for the late fast\n  campaign, 54% for the early slow one)":
            (round(late[0], 2), round(early[0], 2)) == (0.90, 0.54),
        "(about 44%\nof the population against 10%)": (round(early[1], 2), round(late[1], 2)) == (0.44, 0.10),
    }
    for phrase, holds in checks.items():
        assert phrase in notes, f"lesson-notes.md no longer says {phrase!r}"
        assert holds, f"lesson-notes.md: {phrase!r} is not what the model computes"
    data_notes = _pack(courses_dir, "python-data-science", "lesson-notes.md")
    temps = np.array([36.8, 38.4, 37.2, 39.1, 36.5, 38.0, 37.6, 40.2])
    assert "(`ddof=0`: 1.16 °C for\n  the eight temperatures), pandas' by n − 1 (`ddof=1`: 1.24 °C)" in data_notes
    assert (round(temps.std(), 2), round(temps.std(ddof=1), 2)) == (1.16, 1.24)
