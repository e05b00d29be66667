"""The staff panel's queue figures in a real browser, against the workbench and a real worker."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

RIGHT = "def add(a, b):\n    return a + b\n"


def _open(browser: Any, live: dict[str, Any], student: str, locale: str = "en") -> Any:
    context = browser.new_context(locale=locale, extra_http_headers={"Accept-Language": locale})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("response", lambda r: r.status >= 400 and not r.url.endswith("/x/")  # the lesson's sanitized <img src=x>
            and page.errors.append(f"{r.status} {r.url}"))
    page.goto(f"{live['base']}/view/{live['scenario']}/?student={student}")
    page.wait_for_selector(".sabaq-notebook[data-ready='true']", timeout=20_000)
    return page


def test_staff_see_the_queue_figures_in_urdu(browser: Any, live: dict[str, Any]) -> None:
    learner = _open(browser, live, f"q-{uuid.uuid4().hex[:8]}")
    editor = learner.locator(".sabaq-answer[data-grade-id='add'] .cm-content")
    editor.click()
    learner.keyboard.press("Control+A")
    learner.keyboard.press("Delete")
    learner.keyboard.insert_text(RIGHT)
    learner.locator(".sabaq-submit").click()
    learner.wait_for_selector(".sabaq-notebook[data-state='graded']", timeout=120_000)
    learner.context.close()

    staff = _open(browser, live, "staff-queue", locale="ur")
    staff.locator(".sabaq-staff summary").click()
    staff.wait_for_selector(".sabaq-queue-figures dt")
    assert staff.locator(".sabaq-queue h3").inner_text() == "اس یونٹ کی جانچ کی قطار"
    terms = staff.locator(".sabaq-queue-figures dt").all_inner_texts()
    values = staff.locator(".sabaq-queue-figures dd").all_inner_texts()
    assert terms == ["حالت کے لحاظ سے جمع شدہ کام", "انتظار میں یا زیرِ جانچ", "سب سے پرانا منتظر",
                     "پچھلے ایک گھنٹے میں جن کی جانچ نہ ہو سکی", "ہر دوبارہ کوشش کے بعد چھوڑ دیے گئے",
                     "وہ نمبر جو ابھی گریڈ بک میں نہیں پہنچے"]
    assert "جانچ مکمل: " in values[0] and "قطار میں: " in values[0]
    assert values[4] == "0" and values[5] == "0"
    assert staff.errors == []
    staff.context.close()
