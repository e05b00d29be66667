"""The whole LTI path in real Chromium, the tool framed by the platform's course page as an LMS frames
it: an instructor adds the squares unit with the content picker, a learner answers and submits in the
page, the instructor grades the written answer in the staff panel, and the platform's gradebook gets
the score; screenshots of each step, and axe-core finds no serious WCAG 2.1 violation in the tool's
pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from axe import assert_accessible
from lti_tool import INSTRUCTOR, LEARNER, RIGHT, SQUARES, Tool, wait
from page_answers import write_answer

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _course_page(browser: Any, tool: Tool, user: str, link_id: str | None) -> tuple[Any, Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("response", lambda r: r.status >= 400 and page.errors.append(f"{r.status} {r.url}"))
    page.goto(tool.platform.start_url(user, link_id, deep_linking=link_id is None, frame=True))
    return page, page.frame_locator("#tool")


def test_an_instructor_adds_a_unit_a_learner_submits_and_the_platform_gets_the_graded_score(
        browser: Any, tool: Tool, screenshots: Path) -> None:
    known = set(tool.platform.links())
    teacher, picker = _course_page(browser, tool, INSTRUCTOR.sub, None)
    picker.locator(f"button[data-item='{SQUARES}']").wait_for(timeout=30_000)
    teacher.screenshot(path=str(screenshots / "lti-content-picker.png"), full_page=True)
    picker.locator(f"button[data-item='{SQUARES}']").click()
    picker.locator("[data-link-id]").wait_for(timeout=30_000)  # the platform's page: the link was added
    [link_id] = set(tool.platform.links()) - known
    teacher.context.close()

    learner, unit = _course_page(browser, tool, LEARNER.sub, link_id)
    unit.locator(".sabaq-notebook[data-ready='true']").wait_for(timeout=30_000)
    assert unit.locator("[data-role='learner']").count() == 1
    for grade_id, text in RIGHT.items():
        write_answer(unit, learner.keyboard, grade_id, text)
    unit.locator(".sabaq-submit").click()
    unit.locator(".sabaq-manual-waiting").wait_for(timeout=120_000)
    assert "5 of 6" in unit.locator(".sabaq-manual-waiting").inner_text()
    learner.screenshot(path=str(screenshots / "lti-learner-waiting.png"), full_page=True)
    assert learner.errors == []
    learner.context.close()

    teacher, unit = _course_page(browser, tool, INSTRUCTOR.sub, link_id)
    unit.locator(".sabaq-notebook[data-ready='true']").wait_for(timeout=30_000)
    assert unit.locator("[data-role='instructor']").count() == 1
    unit.locator(".sabaq-grading summary").click()
    cell = unit.locator(".sabaq-grading-cell").first
    cell.wait_for(timeout=30_000)
    assert LEARNER.name not in unit.locator(".sabaq-grading").inner_text()  # anonymous grading
    assert "zero" in cell.locator(".sabaq-grading-answer").inner_text()
    cell.locator(".sabaq-grading-points").fill("1")
    cell.locator(".sabaq-grading-comment").fill("Exactly right.")
    cell.locator(".sabaq-grading-comment").press("Control+Enter")
    unit.locator(".sabaq-grading[data-saved^='explain-mean:']").wait_for(timeout=30_000)
    assert "6 of 6" in unit.locator(".sabaq-grading-result").inner_text()
    unit.locator(".sabaq-dashboard summary").click()
    unit.locator(".sabaq-dashboard[data-loaded] .sabaq-chart").first.wait_for(timeout=30_000)
    teacher.screenshot(path=str(screenshots / "lti-instructor-grading.png"), full_page=True)
    assert teacher.errors == []
    own = teacher.context.new_page()  # the tool's page on its own (axe checks one document), same browser
    own.goto(teacher.frames[1].url)
    own.wait_for_selector(".sabaq-notebook[data-ready='true']", timeout=30_000)
    assert_accessible(own, where="the LTI tool: the instructor's unit page")
    teacher.context.close()

    lineitem = tool.platform.links()[link_id].lineitem
    [score] = wait(lambda: [s for s in tool.platform.scores if s.lineitem == lineitem and s.user_id == LEARNER.sub],
                   what="the platform's gradebook to receive the score")
    assert (score.score_given, score.score_maximum, score.grading_progress) == (6.0, 6.0, "FullyGraded")

    learner, unit = _course_page(browser, tool, LEARNER.sub, link_id)
    unit.locator(".sabaq-manual-comment blockquote").wait_for(timeout=30_000)
    assert "6 of 6" in unit.locator(".sabaq-score").inner_text()
    learner.screenshot(path=str(screenshots / "lti-learner-graded.png"), full_page=True)
    learner_url = learner.frames[1].url
    own = learner.context.new_page()  # the tool's page on its own (axe checks one document), same browser
    own.goto(learner_url)
    own.wait_for_selector(".sabaq-notebook[data-ready='true']", timeout=30_000)
    assert_accessible(own, where="the LTI tool: the learner's unit page")
    learner.context.close()
