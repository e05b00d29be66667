"""Learners see only what learners see: no solution, hidden test or answer key in any page.

The block side, through TestRuntime; the crawl of every page and response of the running
demo is in ``tests/test_demo.py``.
"""

from __future__ import annotations

import json
from typing import Any

import notebooks
from conftest import Course
from helpers import call

from sabaq_xblock import render

KEY_MARK = "KEY-EXPLANATION-MARK"


def _quiz_lesson() -> dict[str, Any]:
    """A lesson whose first cell builds a quiz in code (the source states the key)."""
    from sabaq_widgets import MultipleChoice, ParameterExplorer
    from sabaq_widgets.state import notebook_from_widgets

    nb = notebook_from_widgets([
        MultipleChoice("Pick one", ["a", "b"], answer=1, explanation=KEY_MARK),
        ParameterExplorer(lambda slope: {"x": [0, 1], "y": [0, slope]}, {"slope": (1, 3, 1)},
                          x_label="x", y_label="y"),
    ])
    quiz, explorer = nb["cells"][0]["outputs"]
    nb["cells"] = [
        {**nb["cells"][0], "outputs": [quiz],
         "source": f'MultipleChoice("Pick one", ["a", "b"], answer=1, explanation="{KEY_MARK}")'},
        {**nb["cells"][0], "id": "explorer", "outputs": [explorer],
         "source": "def line(slope):  # EXPLORER-CODE\n    return slope"},
    ]
    return dict(nb)


def test_the_student_version_drops_the_source_of_quiz_cells() -> None:
    from sabaq_grading.worker.prepare import page_notebook

    student = page_notebook(_quiz_lesson())
    assert KEY_MARK not in json.dumps(student)
    assert student["cells"][0]["source"] == "" and student["cells"][0]["outputs"]
    assert "EXPLORER-CODE" in student["cells"][1]["source"]


def test_the_page_never_shows_the_source_of_a_quiz_cell() -> None:
    from sabaq_grading.worker.prepare import page_notebook

    lesson = _quiz_lesson()
    stored_before = page_notebook(lesson)  # a student version made before quiz sources went
    stored_before["cells"][0]["source"] = lesson["cells"][0]["source"]
    html = render.render_notebook(stored_before)
    assert KEY_MARK not in html
    assert "EXPLORER-CODE" in html and html.count("sabaq-widget-view") == 2
    unknown = json.loads(json.dumps(stored_before))
    unknown["metadata"] = {}
    assert KEY_MARK not in render.render_notebook(unknown)


def test_no_view_or_learner_handler_sends_instructor_material(course: Course) -> None:
    block = course.block()
    answers = [block.render(view).body_html() for view in ("student_view", "author_view")]
    answers.append(json.dumps(call(block, "widget_state", {"action": "load"})[1]))
    answers.append(json.dumps(call(block, "status", {})[1]))
    from webob import Request

    download = block.runtime.handle(block, "download", Request.blank("/"))
    answers.append(download.body.decode())
    for text in answers:
        for secret in ("SOLUTION-MARK", "HIDDEN-MARK", "SECRET-EXPLANATION", "BEGIN SOLUTION",
                       "BEGIN HIDDEN TESTS", "instructor_notebook", '"answer": [1]'):
            assert secret not in text, secret
    assert notebooks.instructor()["cells"][3]["source"] not in "".join(answers)
