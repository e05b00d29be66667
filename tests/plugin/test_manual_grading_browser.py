"""Grading a written answer in real Chromium, keyboard only: the learner waits for the tutor, the tutor
grades beside the model answer and rubric, the learner reads the comment; the cohort dashboard; axe-core
finds no serious or critical WCAG 2.1 violation on either page, in English and in Urdu."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from axe import assert_accessible
from page_answers import write_answer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

RIGHT = "def add(a, b):\n    return a + b\n"
WRITTEN = "The sums are equal: addition is *commutative*. <img src=x onerror=window.__sabaq_xss=9>"


def _open(browser: Any, live: dict[str, Any], student: str, locale: str = "en") -> Any:
    context = browser.new_context(locale=locale, extra_http_headers={"Accept-Language": locale})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("response", lambda r: r.status >= 400 and not r.url.endswith("/x")
            and page.errors.append(f"{r.status} {r.url}"))
    page.goto(f"{live['base']}/view/{live['essay']}/?student={student}")
    page.wait_for_selector(".sabaq-notebook[data-ready='true']", timeout=20_000)
    return page


def _write(page: Any, grade_id: str, text: str) -> None:
    write_answer(page, page.keyboard, grade_id, text)


def test_a_tutor_grades_a_written_answer_with_the_keyboard_and_the_learner_reads_the_comment(
        browser: Any, live: dict[str, Any], screenshots: Path) -> None:
    student = f"essay-{uuid.uuid4().hex[:8]}"
    learner = _open(browser, live, student)
    _write(learner, "add", RIGHT)
    _write(learner, "explain", WRITTEN)
    learner.locator(".sabaq-submit").focus()
    learner.keyboard.press("Enter")
    learner.wait_for_selector(".sabaq-manual-waiting", timeout=120_000)
    assert "1 of 4" in learner.locator(".sabaq-manual-waiting").inner_text()
    learner.screenshot(path=str(screenshots / "manual-waiting-learner.png"), full_page=True)
    learner.context.close()

    tutor = _open(browser, live, "staff-tutor")
    summary = tutor.locator(".sabaq-grading summary")
    summary.focus()
    tutor.keyboard.press("Enter")
    tutor.wait_for_selector(".sabaq-grading[data-sheet] .sabaq-grading-cell")
    # anonymous by default: the sheet never names the learner
    assert student not in tutor.locator(".sabaq-grading").inner_text()
    sheets = tutor.locator(".sabaq-grading-cell")
    # the tutor may meet other sessions' essays first: step to this learner's (Alt+N) by its answer
    for _ in range(20):
        if "commutative" in sheets.first.locator(".sabaq-grading-answer").inner_text():
            break
        current = tutor.locator(".sabaq-grading").get_attribute("data-sheet")
        tutor.locator(".sabaq-grading-sheet").focus()
        tutor.keyboard.press("Alt+N")
        tutor.wait_for_function(
            "old => document.querySelector('.sabaq-grading').getAttribute('data-sheet') !== old", arg=current)
    cell = sheets.first
    answer = cell.locator(".sabaq-grading-answer")
    assert answer.locator("em").inner_text() == "commutative"
    assert tutor.evaluate("window.__sabaq_xss") is None
    assert "commutative" in cell.locator(".sabaq-grading-model").inner_text()
    assert cell.locator(".sabaq-grading-rubric input[type=checkbox]").count() == 2
    # keyboard only: tick both rubric items (they set the points), write a comment, Ctrl+Enter saves
    cell.locator(".sabaq-grading-rubric input").first.focus()
    tutor.keyboard.press("Space")
    tutor.keyboard.press("Tab")
    tutor.keyboard.press("Space")
    assert cell.locator(".sabaq-grading-points").input_value() == "3"
    cell.locator(".sabaq-grading-comment").focus()
    tutor.keyboard.insert_text("Clear and correct.")
    tutor.keyboard.press("Control+Enter")
    tutor.wait_for_selector(".sabaq-grading[data-saved^='explain:']")
    assert "4 of 4" in tutor.locator(".sabaq-grading-result").inner_text()
    assert_accessible(tutor, where="the tutor's grading panel")
    tutor.screenshot(path=str(screenshots / "manual-grading-tutor.png"), full_page=True)

    tutor.locator(".sabaq-dashboard summary").focus()
    tutor.keyboard.press("Enter")
    tutor.wait_for_selector(".sabaq-dashboard[data-loaded] .sabaq-chart")
    assert tutor.locator(".sabaq-dashboard-tests tbody tr").count() >= 1
    assert "test-add" in tutor.locator(".sabaq-dashboard-tests").inner_text()
    assert_accessible(tutor, where="the cohort dashboard")
    tutor.locator(".sabaq-dashboard").screenshot(path=str(screenshots / "cohort-dashboard.png"))
    assert tutor.errors == []
    tutor.context.close()

    again = _open(browser, live, student)
    again.wait_for_selector(".sabaq-manual-comment blockquote")
    assert "4 of 4" in again.locator(".sabaq-score").inner_text()
    assert again.locator(".sabaq-manual-comment blockquote").inner_text() == "Clear and correct."
    assert_accessible(again, where="the learner's graded page")
    again.screenshot(path=str(screenshots / "manual-graded-learner.png"), full_page=True)
    again.context.close()


def test_the_staff_panels_in_urdu_are_translated_and_accessible(browser: Any, live: dict[str, Any]) -> None:
    tutor = _open(browser, live, "staff-urdu", locale="ur")
    for panel in (".sabaq-grading", ".sabaq-dashboard"):
        tutor.locator(f"{panel} summary").click()
    tutor.wait_for_selector(".sabaq-dashboard[data-loaded]")
    assert tutor.locator(".sabaq-grading summary").inner_text() == "تحریری جوابات کی جانچ"
    assert tutor.locator(".sabaq-dashboard summary").inner_text() == "جماعت کی کارکردگی"
    assert_accessible(tutor, where="the staff panels in Urdu")
    assert tutor.errors == []
    tutor.context.close()
