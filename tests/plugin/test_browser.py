"""End-to-end tests in real Chromium against the workbench and a grading worker."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

RIGHT = "def add(a, b):\n    return a + b\n"
HOSTILE = ('def add(a, b):\n    raise ValueError("<img src=x onerror=window.__sabaq_xss=5>'
           '<script>window.__sabaq_xss=6</script>")\n')


def _open(browser: Any, live: dict[str, Any], student: str, locale: str = "en") -> Any:
    context = browser.new_context(locale=locale, extra_http_headers={"Accept-Language": locale})
    page = context.new_page()
    page.dialogs = []
    page.errors = []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("response", lambda r: r.status >= 400 and not r.url.endswith("/x")
            and page.errors.append(f"{r.status} {r.url}"))
    page.goto(f"{live['base']}/view/{live['scenario']}/?student={student}")
    try:
        page.wait_for_selector(".sabaq-notebook[data-ready='true']", timeout=20_000)
    except Exception as error:
        raise AssertionError(page.errors) from error
    return page


def _no_script_ran(page: Any) -> None:
    assert page.evaluate("window.__sabaq_xss") is None
    assert page.dialogs == []


def _write(page: Any, code: str) -> None:
    editor = page.locator(".sabaq-answer[data-grade-id='add'] .cm-content")
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(code)


def test_lesson_widget_answer_submit_score(browser: Any, live: dict[str, Any],
                                           screenshots: Path) -> None:
    student = f"b-{uuid.uuid4().hex[:8]}"
    page = _open(browser, live, student)
    assert page.locator(".sabaq-math .katex").count() >= 1
    assert page.locator(".sabaq-answer .cm-editor").count() == 1
    page.wait_for_selector(".sabaq-widget-view[data-mounted='true']")
    page.get_by_label("4", exact=True).check()
    page.locator(".sabaq-widget .sabaq-check").click()
    page.wait_for_selector(".sabaq-widget .is-correct")
    page.wait_for_selector(".sabaq-notebook[data-widget-saved]")
    _write(page, RIGHT)
    page.wait_for_selector(".sabaq-notebook[data-draft-saved='add']")
    page.screenshot(path=str(screenshots / "lesson-before-submit.png"), full_page=True)

    page.reload()
    page.wait_for_selector(".sabaq-notebook[data-ready='true']")
    page.wait_for_selector(".sabaq-widget-view[data-mounted='true']")
    assert page.get_by_label("4", exact=True).is_checked()
    assert page.locator(".sabaq-widget .is-correct").count() == 1
    assert "return a + b" in page.locator(".sabaq-answer .cm-content").inner_text()

    page.locator(".sabaq-submit").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector(".sabaq-notebook[data-state='graded']", timeout=120_000)
    score = page.locator(".sabaq-score").inner_text()
    assert "3" in score
    assert page.locator(".sabaq-test.is-passed").count() == 2
    assert "HIDDEN-MARK" not in page.content()
    page.screenshot(path=str(screenshots / "lesson-graded.png"), full_page=True)
    _no_script_ran(page)
    page.context.close()


def test_hostile_content_runs_no_script(browser: Any, live: dict[str, Any],
                                        screenshots: Path) -> None:
    page = _open(browser, live, f"x-{uuid.uuid4().hex[:8]}")
    page.wait_for_selector(".sabaq-widget-view[data-mounted='true']")
    assert "<script>" in page.locator(".sabaq-widget legend").inner_text()
    _write(page, HOSTILE)
    page.locator(".sabaq-submit").click()
    page.wait_for_selector(".sabaq-notebook[data-state='graded']", timeout=120_000)
    messages = page.locator(".sabaq-test-message").all_inner_texts()
    assert any("onerror" in m for m in messages), messages
    page.screenshot(path=str(screenshots / "hostile-content.png"), full_page=True)
    _no_script_ran(page)
    page.context.close()


def test_urdu_interface_is_right_to_left(browser: Any, live: dict[str, Any],
                                         screenshots: Path) -> None:
    page = _open(browser, live, f"u-{uuid.uuid4().hex[:8]}", locale="ur")
    root = page.locator(".sabaq-notebook")
    assert root.get_attribute("dir") == "rtl"
    assert page.locator(".sabaq-submit").inner_text() == "جوابات جمع کرائیں"
    page.screenshot(path=str(screenshots / "urdu.png"), full_page=True)
    page.context.close()


def test_staff_see_learner_report_and_regrade(browser: Any, live: dict[str, Any],
                                              screenshots: Path) -> None:
    learner = _open(browser, live, f"s-{uuid.uuid4().hex[:8]}")
    assert learner.locator(".sabaq-staff").count() == 0
    _write(learner, RIGHT)
    learner.locator(".sabaq-submit").click()
    learner.wait_for_selector(".sabaq-notebook[data-state='graded']", timeout=120_000)
    learner.context.close()

    staff = _open(browser, live, "staff-browser")
    staff.locator(".sabaq-staff summary").click()
    rows = staff.locator(".sabaq-staff-table tbody tr")
    rows.first.wait_for()
    assert rows.count() >= 1
    rows.first.locator(".sabaq-regrade").click()
    staff.wait_for_selector(".sabaq-staff-table tbody tr")
    staff.screenshot(path=str(screenshots / "staff-report.png"), full_page=True)
    assert staff.locator(".sabaq-notebook[data-request-error]").count() == 0
    _no_script_ran(staff)
    staff.context.close()


def test_real_widgets_without_a_kernel(browser: Any, live: dict[str, Any],
                                       screenshots: Path) -> None:
    student = f"w-{uuid.uuid4().hex[:8]}"
    scenario = {**live, "scenario": live["widgets"]}
    page = _open(browser, scenario, student)
    page.wait_for_function(
        "document.querySelectorAll(\".sabaq-widget-view[data-mounted='true']\").length == 2")
    assert page.locator(".sabaq-submit").count() == 0
    numeric = page.locator(".sabaq-numeric")
    numeric.locator("input").fill("٢٫٥")
    numeric.locator(".sabaq-check").click()
    numeric.locator(".is-correct").wait_for()
    saved = "document.querySelector('.sabaq-notebook').dataset.widgetSaved || ''"
    page.wait_for_function(f"({saved}) !== ''")
    before = page.evaluate(saved)
    slider = page.locator(".sabaq-explorer input[type=range]")
    slider.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function(f"({saved}) !== {before!r}")
    value = slider.input_value()
    page.screenshot(path=str(screenshots / "widgets.png"), full_page=True)

    page.reload()
    page.wait_for_function(
        "document.querySelectorAll(\".sabaq-widget-view[data-mounted='true']\").length == 2")
    assert page.locator(".sabaq-numeric .is-correct").count() == 1
    assert page.locator(".sabaq-explorer input[type=range]").input_value() == value != "0"
    _no_script_ran(page)
    page.context.close()
