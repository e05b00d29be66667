"""Learners see only what learners see: no solution, hidden test or answer key in any page.

The block side, through TestRuntime; the crawl of every page and response of the running
demo is in ``tests/test_demo.py``.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import notebooks
import pytest
from conftest import Course
from helpers import call
from servers import Client

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


@pytest.mark.slow
def test_the_workbench_pages_show_learners_only_the_learner_view(live: dict[str, Any]) -> None:
    """The workbench's scenario page printed the OLX; its media pattern served the working
    directory (here the scenario files); it also had an admin, a user list and a state reset."""
    visitor = Client(live["base"], "visitor")
    secrets = ("SOLUTION-MARK", "HIDDEN-MARK", "SECRET-EXPLANATION", "instructor_notebook",
               "BEGIN SOLUTION", "Reset State")
    pages = ["/", f"/scenario/{live['scenario']}/", f"/scenario/{live['scenario']}/student_view/",
             f"/view/{live['scenario']}/"]
    for path in pages:
        status, body = visitor._open(urllib.request.Request(live["base"] + path))
        assert status == 200, path
        assert not [s for s in secrets if s in body.decode()], path
    staff_views = [f"/{kind}/{live['scenario']}/{view}/" for kind in ("scenario", "view")
                   for view in ("author_view", "studio_view")]
    closed = ["/scenarios/adding.xml", "/workbench.log", "/var/workbench.db", "/admin/",
              "/admin/login/", "/userlist/", "/reset_state", *staff_views]
    for path in closed:
        assert visitor._open(urllib.request.Request(live["base"] + path))[0] == 404, path
    request = urllib.request.Request(live["base"] + "/reset_state", data=b"", method="POST")
    assert visitor._open(request)[0] in (403, 404)
    for path in staff_views:
        url = f"{live['base']}{path}?student=staff-author"
        assert visitor._open(urllib.request.Request(url))[0] == 200, path
    usage = visitor.usage_id(live["scenario"])
    status, body = visitor.post(usage, "no_such_handler", {})
    assert status >= 400 and b"Traceback" not in body and b"SOLUTION" not in body


def test_downloading_a_notebook_stored_before_quiz_sources_went_leaks_no_key(course: Course) -> None:
    from webob import Request

    from sabaq_grading.worker.prepare import page_notebook

    lesson = _quiz_lesson()
    stored_before = page_notebook(lesson)
    stored_before["cells"][0]["source"] = lesson["cells"][0]["source"]  # as older versions stored it
    block = course.block()
    block.student_notebook = json.dumps(stored_before)
    body = block.runtime.handle(block, "download", Request.blank("/")).body.decode()
    assert KEY_MARK not in body
    assert "EXPLORER-CODE" in body  # other code stays
