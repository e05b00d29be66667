"""The whole LTI path against a real platform on loopback: an instructor adds a unit by Deep Linking,
a learner launches it and submits, the sandbox grades it, the instructor grades the written answer in
the same staff views the XBlock has, and the platform's gradebook receives the score through AGS."""

from __future__ import annotations

import json
import re
from html import unescape
from typing import Any

import pytest
import requests
from lti_tool import INSTRUCTOR, LEARNER, RIGHT, SQUARES, Tool, wait

pytestmark = [pytest.mark.slow]


def page_prefix(page: requests.Response) -> str:
    """The handler URL prefix of the unit on a tool page."""
    found = re.search(r'data-handler-prefix="([^"]+)"', page.text)
    assert found, page.text[:2000]
    return page.url.split("/lti/")[0] + unescape(found.group(1))


def call(http: requests.Session, prefix: str, name: str, payload: dict[str, Any]) -> tuple[int, Any]:
    answer = http.post(prefix + name, data=json.dumps(payload), headers={"Content-Type": "application/json"},
                       timeout=60)
    try:
        return answer.status_code, answer.json()
    except ValueError:
        return answer.status_code, answer.text


def deep_link(tool: Tool, item: str = SQUARES) -> str:
    """An instructor picks ``item`` in the tool's content picker; returns the platform's new link id."""
    http = requests.Session()
    picker = tool.platform.launch(http, INSTRUCTOR.sub, deep_linking=True)
    assert picker.status_code == 200 and picker.url.endswith("/pick"), picker.text[:1000]
    unit = re.search(r'<button type="submit" name="unit" value="(\d+)" data-item="' + re.escape(item) + '"',
                     picker.text)
    assert unit, picker.text
    chosen = http.post(picker.url, data={"unit": unit.group(1)}, timeout=60)
    assert chosen.status_code == 200
    action = unescape(re.search(r'<form method="post" action="([^"]+)"', chosen.text).group(1))  # type: ignore[union-attr]
    token = re.search(r'name="JWT" value="([^"]+)"', chosen.text).group(1)  # type: ignore[union-attr]
    assert action == f"{tool.platform.url}/deep-link-return"
    added = http.post(action, data={"JWT": token}, timeout=60)
    assert added.status_code == 200, added.text
    link_id = re.search(r'data-link-id="([^"]+)"', added.text).group(1)  # type: ignore[union-attr]
    again = http.post(picker.url, data={"unit": unit.group(1)}, timeout=60)
    assert again.status_code == 401 and "chosen already" in again.text  # one answer per picker
    return link_id


def test_an_instructor_adds_a_graded_unit_and_the_platform_gets_a_link_with_its_gradebook_column(tool: Tool) -> None:
    link_id = deep_link(tool)
    link = tool.platform.links()[link_id]
    assert link.url == f"{tool.base}/lti/launch"
    assert link.custom == {"sabaq_module": tool.module_id, "sabaq_version": tool.version, "sabaq_item": SQUARES}
    assert link.lineitem is not None
    assert tool.platform.lineitems[link.lineitem]["scoreMaximum"] == 6.0  # 2 + 3 tests, 1 written answer
    [item] = [i for i in tool.platform.deep_link_items if i["custom"]["sabaq_item"] == SQUARES][-1:]
    assert item["type"] == "ltiResourceLink" and item["lineItem"]["label"] == link.title


def test_a_learner_submits_a_tutor_grades_the_written_answer_and_the_platform_receives_the_whole_score(
        tool: Tool) -> None:
    link_id = deep_link(tool)
    learner = requests.Session()
    page = tool.platform.launch(learner, LEARNER.sub, link_id)
    assert page.status_code == 200 and 'data-role="learner"' in page.text
    assert "Squares and means" in page.text and "BEGIN HIDDEN TESTS" not in page.text
    assert "return x * x" not in page.text  # the student version: no solutions
    prefix = page_prefix(page)

    code, queued = call(learner, prefix, "submit", {"answers": RIGHT})
    assert code == 200, queued
    status = wait(lambda: (s := call(learner, prefix, "status", {})[1])["state"] == "graded" and s,
                  what="the submission to be graded")
    assert (status["score"], status["max_score"]) == (5.0, 6.0)
    assert status["manual"]["state"] == "waiting"
    assert not [s for s in tool.platform.scores if s.user_id == LEARNER.sub and s.lineitem ==
                tool.platform.links()[link_id].lineitem]  # nothing leaves before the tutor has graded
    code, refused = call(learner, prefix, "manual_queue", {})
    assert code == 403 and "staff" in json.dumps(refused).lower()  # a learner's session never reaches staff handlers

    instructor = requests.Session()
    staff_page = tool.platform.launch(instructor, INSTRUCTOR.sub, link_id)
    assert 'data-role="instructor"' in staff_page.text
    staff = page_prefix(staff_page)
    code, queue = call(instructor, staff, "manual_queue", {})
    assert code == 200 and queue["waiting"] == 1
    [waiting] = [i for i in queue["items"] if i["manual"] == "waiting"]
    assert LEARNER.name not in json.dumps(queue)  # anonymous grading, as in the XBlock
    code, saved = call(instructor, staff, "save_manual_grade", {
        "submission_id": waiting["submission_id"], "grade_id": "explain-mean", "points": 1, "comment": "Right.",
        "rubric": [], "revision": 0})
    assert code == 200, saved
    assert (saved["manual"], saved["score"]) == ("graded", 6.0)

    lineitem = tool.platform.links()[link_id].lineitem
    [score] = wait(lambda: [s for s in tool.platform.scores if s.user_id == LEARNER.sub and s.lineitem == lineitem],
                   what="the platform to receive the score")
    assert (score.score_given, score.score_maximum) == (6.0, 6.0)
    assert (score.activity_progress, score.grading_progress) == ("Completed", "FullyGraded")
    assert call(learner, prefix, "status", {})[1]["score"] == 6.0
    code, board = call(instructor, staff, "cohort_dashboard", {})
    assert code == 200, board


def test_a_score_the_platform_refuses_at_first_is_sent_again_until_it_is_accepted(tool: Tool) -> None:
    link = tool.squares_link("link-retry")
    http = requests.Session()
    page = tool.platform.launch(http, LEARNER.sub, link.id)
    prefix = page_prefix(page)
    tool.platform.fail_next_scores = 2
    before = tool.platform.score_attempts
    answers = {**RIGHT, "explain-mean": ""}
    assert call(http, prefix, "submit", {"answers": answers})[0] == 200
    wait(lambda: call(http, prefix, "status", {})[1]["state"] == "graded", what="grading")
    staff = requests.Session()
    staff_prefix = page_prefix(tool.platform.launch(staff, INSTRUCTOR.sub, link.id))
    [item] = [i for i in call(staff, staff_prefix, "manual_queue", {})[1]["items"] if i["manual"] == "waiting"]
    assert call(staff, staff_prefix, "save_manual_grade", {"submission_id": item["submission_id"],
                                                           "grade_id": "explain-mean", "points": 0, "comment": "",
                                                           "rubric": [], "revision": 0})[0] == 200
    [score] = wait(lambda: [s for s in tool.platform.scores if s.lineitem == link.lineitem], timeout=90,
                   what="the score after the platform's refusals")
    assert score.score_given == 5.0 and tool.platform.fail_next_scores == 0
    assert tool.platform.score_attempts - before == 3  # two refused, the third accepted, none after
    [(tries, error)] = tool.rows("SELECT o.tries, o.last_error FROM sabaq_lti_scoreoutbox o JOIN "
                                 "sabaq_lti_resourcelink l ON o.link_id = l.id WHERE l.resource_link_id = ?", link.id)
    assert tries == 3 and error == ""


def graded(tool: Tool, link_id: str, written: str, written_points: int) -> None:
    """A learner submits the right code and the ``written`` answer; a tutor gives it ``written_points``."""
    http = requests.Session()
    prefix = page_prefix(tool.platform.launch(http, LEARNER.sub, link_id))
    assert call(http, prefix, "submit", {"answers": {**RIGHT, "explain-mean": written}})[0] == 200
    wait(lambda: call(http, prefix, "status", {})[1]["state"] == "graded", what="grading")
    staff = requests.Session()
    staff_prefix = page_prefix(tool.platform.launch(staff, INSTRUCTOR.sub, link_id))
    items = call(staff, staff_prefix, "manual_queue", {})[1]["items"]
    [item] = [i for i in items if i["manual"] == "waiting"]
    revision = max((i.get("revision") or 0 for i in items), default=0)
    code, saved = call(staff, staff_prefix, "save_manual_grade", {
        "submission_id": item["submission_id"], "grade_id": "explain-mean", "points": written_points, "comment": "",
        "rubric": [], "revision": revision})
    assert code == 200, saved


def test_a_link_without_a_line_item_gets_one_made_once_and_reused_for_every_score(tool: Tool) -> None:
    from lti_platform import Link

    tool.platform.add_link(Link("link-no-column", "No column yet", f"{tool.base}/lti/launch",
                                {"sabaq_module": tool.module_id, "sabaq_version": tool.version,
                                 "sabaq_item": SQUARES}))
    known = set(tool.platform.lineitems)
    graded(tool, "link-no-column", RIGHT["explain-mean"], 1)
    [made] = wait(lambda: [u for u in tool.platform.lineitems if u not in known], what="a line item")
    column = tool.platform.lineitems[made]
    assert (column["resourceLinkId"], column["scoreMaximum"], column["tag"]) == ("link-no-column", 6.0, "sabaq")
    [usage] = tool.rows("SELECT usage_id FROM sabaq_lti_resourcelink WHERE resource_link_id = 'link-no-column'")[0]
    assert column["resourceId"] == usage
    wait(lambda: [s for s in tool.platform.scores if s.lineitem == made], what="the first score")
    graded(tool, "link-no-column", "Because.", 0)  # a new written answer, which the tutor gives nothing
    scores = wait(lambda: (found := [s.score_given for s in tool.platform.scores if s.lineitem == made])
                  and len(found) == 2 and found, what="the second score")
    assert scores == [6.0, 5.0]
    assert [u for u in tool.platform.lineitems if u not in known] == [made]  # reused, never made twice


def test_the_first_launches_of_a_new_link_at_once_make_one_block(tool: Tool) -> None:
    from concurrent.futures import ThreadPoolExecutor

    link = tool.squares_link("link-race")
    with ThreadPoolExecutor(4) as pool:
        pages = list(pool.map(lambda _: tool.platform.launch(requests.Session(), LEARNER.sub, link.id), range(4)))
    assert [p.status_code for p in pages] == [200] * 4
    assert tool.rows("SELECT COUNT(*) FROM sabaq_lti_resourcelink WHERE resource_link_id = ?", link.id) == [(1,)]
