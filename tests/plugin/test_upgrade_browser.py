"""Studio in real Chromium: staff offer a unit a newer module version, read what it changes,
and accept it; the learners' page then names the new version."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from publishing import correct_the_test

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_staff_upgrade_a_shared_unit_in_studio(browser: Any, live: dict[str, Any], screenshots: Path,
                                               tmp_path: Path) -> None:
    newer = live["publisher"].bundle("0.2.0", correct_the_test)
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live['base']}/view/{live['shared']}/studio_view/?student=staff-upgrade")
    page.wait_for_selector(".sabaq-upgrade")
    footer = page.locator(".sabaq-attribution").inner_text()
    assert "fixture-course, version 0.1.0" in footer and "CC-BY-4.0" in footer
    page.set_input_files("#sabaq-upgrade-bundle", str(newer))
    page.locator(".sabaq-upgrade-check").click()
    page.wait_for_selector(".sabaq-upgrade-offer:not([hidden])", timeout=30_000)
    assert "Version 0.2.0 is offered" in page.locator(".sabaq-upgrade-title").inner_text()
    changes = page.locator(".sabaq-upgrade-changes").inner_text()
    assert "test `test-square` changed" in changes and "square(-2)" in changes
    page.screenshot(path=str(screenshots / "studio-upgrade-offer.png"), full_page=True)
    page.locator(".sabaq-upgrade-accept").click()
    page.wait_for_function("document.querySelector('.sabaq-upgrade-result').textContent.length > 0",
                           timeout=120_000)
    assert "Version 0.2.0 is in place" in page.locator(".sabaq-upgrade-result").inner_text()
    page.screenshot(path=str(screenshots / "studio-upgrade-accepted.png"), full_page=True)
    assert errors == []
    learner = context.new_page()
    learner.goto(f"{live['base']}/view/{live['shared']}/?student=learner-upgrade")
    learner.wait_for_selector(".sabaq-notebook[data-ready='true']", timeout=20_000)
    assert "version 0.2.0" in learner.locator(".sabaq-attribution").inner_text()
    context.close()
