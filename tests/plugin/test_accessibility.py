"""Learner and staff pages that everyone can use, in real Chromium against the workbench and a worker.

Every page passes axe-core's WCAG 2.1 A/AA rules with no serious or critical violation; the
lesson keeps the notebook's language and direction whatever the browser's; the code editor
is entered, used and left with the keyboard alone; nothing but code scrolls sideways at
200% and 400% zoom.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import notebooks
import pytest
from axe import AXE, assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
COURSE = ROOT / "courses" / "python-data-science"
RIGHT = "def add(a, b):\n    return a + b\n"
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="


def _cdata(nb: dict[str, Any]) -> str:
    return json.dumps(nb, ensure_ascii=False).replace("]]>", "]]\\u003e")


def _unit(title: str, instructor: dict[str, Any], files: dict[str, bytes] | None = None) -> str:
    import base64

    from sabaq_grading.worker.prepare import page_notebook

    data = "".join(f'<data_file name="{name}"><![CDATA[{base64.b64encode(content).decode()}]]></data_file>'
                   for name, content in sorted((files or {}).items()))
    return (f'<sabaq_notebook display_name="{title}">'
            f"<instructor_notebook><![CDATA[{_cdata(instructor)}]]></instructor_notebook>"
            f"<student_notebook><![CDATA[{_cdata(page_notebook(instructor))}]]></student_notebook>"
            f"{data}</sabaq_notebook>")


def _wide_urdu_lesson() -> dict[str, Any]:
    """An Urdu lesson (no declared language) with inline code, a wide code cell and output,
    long display maths and a plot whose lecturer wrote no text alternative."""
    wide = "totals = [" + ", ".join(str(1000 + k) for k in range(60)) + "]"
    return {
        "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}},
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source":
                "# تقسیم\n\nپائتھن میں `7 / 2` کا نتیجہ 3.5 ہے اور `(1 + 2) * 3` کا نتیجہ 9 ہے۔\n\n"
                "$$" + " + ".join(f"x_{{{k}}}^{{2}}" for k in range(40)) + "$$"},
            {"cell_type": "code", "metadata": {}, "execution_count": 1, "source": wide,
             "outputs": [{"output_type": "stream", "name": "stdout", "text": wide + "\n"}]},
            {"cell_type": "code", "metadata": {}, "execution_count": 2,
             "source": "plt.plot(days, cases)\nplt.title('Cases by day')\nplt.xlabel('day')\nplt.ylabel('cases')",
             "outputs": [{"output_type": "display_data", "metadata": {},
                          "data": {"image/png": PNG, "text/plain": "<Figure size 640x480 with 1 Axes>"}}]},
        ],
    }


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A workbench with the sample course's lesson (English and Urdu, run once) and assignment,
    the test assignment, the widgets lesson and a wide Urdu lesson; and a grading worker."""
    import servers

    from sabaq_grading.engine import data_files
    from sabaq_grading.lessons import execute_lesson

    root = tmp_path_factory.mktemp("a11y")
    scenarios = root / "scenarios"
    scenarios.mkdir()
    executed = root / "executed"
    assignment = COURSE / "source" / "describe-clinic-visits" / "describe-clinic-visits.ipynb"
    units = {
        "adding": notebooks.olx(),
        "lesson-en": _unit("Python basics", execute_lesson(COURSE / "lessons" / "01-python-basics.ipynb",
                                                           cache_dir=executed)),
        "lesson-ur": _unit("پائتھن کی بنیادی باتیں",
                           execute_lesson(COURSE / "lessons" / "01-python-basics.ur.ipynb", cache_dir=executed)),
        "assignment": _unit("Describing clinic visits", json.loads(assignment.read_text("utf-8")),
                            data_files(assignment.parent)),
        "widgets": notebooks.widget_lesson_olx(),
        "wide-ur": _unit("چوڑا سبق", _wide_urdu_lesson()),
    }
    for number, (name, olx) in enumerate(units.items()):
        (scenarios / f"{number:02d}-{name}.xml").write_text(olx, "utf-8")
    port = servers.free_port()
    env = servers.environment(root, port)
    with contextlib.ExitStack() as stack:
        base = stack.enter_context(servers.workbench(root, env, port))
        stack.enter_context(servers.worker(root, env))
        yield {"base": base, **{name: f"sabaq_notebook.{n}" for n, name in enumerate(units)}}


def _open(browser: Any, site: dict[str, Any], unit: str, locale: str = "en", student: str = "",
          width: int = 1280, view: str = "") -> Any:
    context = browser.new_context(locale=locale, extra_http_headers={"Accept-Language": locale},
                                  viewport={"width": width, "height": 900})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    student = student or f"a11y-{uuid.uuid4().hex[:8]}"
    page.goto(f"{site['base']}/view/{site[unit]}/{view + '/' if view else ''}?student={student}")
    if not view:
        page.wait_for_selector(".sabaq-notebook[data-ready='true']", timeout=30_000)
        with contextlib.suppress(Exception):  # lessons without widgets never set it
            page.wait_for_selector(".sabaq-notebook[data-widgets-ready='true']", timeout=3_000)
        page.wait_for_timeout(100)  # the scrollable regions are marked on the next frame
    return page


def _focused(page: Any) -> str:
    return str(page.evaluate(
        "(() => { const a = document.activeElement; if (!a || a === document.body) return 'body';"
        " if (a.closest('.cm-content')) return 'editor'; if (a.matches('.sabaq-submit')) return 'submit';"
        " return a.tagName.toLowerCase() + '.' + a.className; })()"))


def _tab_until(page: Any, where: str, limit: int = 60, key: str = "Tab") -> int:
    for count in range(1, limit + 1):
        page.keyboard.press(key)
        if _focused(page) == where:
            return count
    raise AssertionError(f"{where} not reached with {limit} presses of {key}; focus is on {_focused(page)}")


def test_axe_tools_are_locked() -> None:
    tools = ROOT / "tests" / "browser-tools"
    lock = json.loads((tools / "package-lock.json").read_text())
    manifest = json.loads((tools / "package.json").read_text())
    assert manifest["devDependencies"] == {"axe-core": "4.14.1"} == lock["packages"][""]["devDependencies"]
    entry = lock["packages"]["node_modules/axe-core"]
    assert entry["version"] == "4.14.1" and entry["integrity"].startswith("sha512-") and "resolved" not in entry
    assert AXE.is_file(), "run bash .ci/setup"


@pytest.mark.parametrize("locale", ["en", "ur"])
@pytest.mark.parametrize("unit", ["lesson-en", "lesson-ur", "assignment", "adding", "widgets", "wide-ur"])
def test_learner_pages_pass_axe(browser: Any, site: dict[str, Any], screenshots: Path, unit: str,
                                locale: str) -> None:
    page = _open(browser, site, unit, locale)
    assert_accessible(page, where=f"{unit} in a {locale} browser")
    if unit in ("lesson-en", "adding") or (unit, locale) == ("lesson-ur", "en"):
        page.screenshot(path=str(screenshots / f"a11y-{unit}-{locale}.png"), full_page=True)
    assert page.errors == []
    page.context.close()


def test_the_lesson_keeps_the_notebooks_language_in_any_browser(browser: Any, site: dict[str, Any]) -> None:
    urdu = _open(browser, site, "lesson-ur", "en")
    assert urdu.locator(".sabaq-notebook").get_attribute("lang") == "en"
    lesson = urdu.locator(".sabaq-lesson")
    assert (lesson.get_attribute("lang"), lesson.get_attribute("dir")) == ("ur", "rtl")
    assert lesson.evaluate("e => getComputedStyle(e).direction") == "rtl"
    assert urdu.locator(".sabaq-title").get_attribute("dir") == "rtl"
    code = urdu.locator(".sabaq-lesson .sabaq-input pre").first
    assert code.evaluate("e => getComputedStyle(e).direction") == "ltr"
    urdu.context.close()

    english = _open(browser, site, "adding", "ur")
    root = english.locator(".sabaq-notebook")
    assert (root.get_attribute("lang"), root.get_attribute("dir")) == ("ur", "rtl")
    lesson = english.locator(".sabaq-lesson")
    assert (lesson.get_attribute("lang"), lesson.get_attribute("dir")) == ("en", "ltr")
    assert lesson.evaluate("e => getComputedStyle(e).direction") == "ltr"
    assert english.locator(".sabaq-submit").inner_text() == "جوابات جمع کرائیں"
    assert english.locator(".sabaq-answer-label").get_attribute("lang") == "ur"
    english.context.close()


# The x position of each character of an inline code span, in reading order.
_CHARACTER_XS = """e => { const text = e.firstChild; const xs = [];
  for (let i = 0; i < text.length; i++) { if (text.data[i] === ' ') continue;
    const r = document.createRange(); r.setStart(text, i); r.setEnd(text, i + 1);
    xs.push(r.getBoundingClientRect().left); }
  return xs; }"""


def test_inline_code_in_urdu_prose_reads_left_to_right(browser: Any, site: dict[str, Any],
                                                       screenshots: Path) -> None:
    page = _open(browser, site, "wide-ur", "en")
    assert page.locator(".sabaq-lesson").get_attribute("dir") == "rtl"
    for text in ("7 / 2", "(1 + 2) * 3"):
        span = page.locator(".sabaq-lesson code", has_text=text).first
        assert span.get_attribute("dir") == "ltr"
        xs = span.evaluate(_CHARACTER_XS)
        assert xs == sorted(xs) and len(set(xs)) == len(xs), f"{text!r} does not read left to right: {xs}"
    assert page.locator(".sabaq-math .katex").count() >= 1
    assert page.locator(".sabaq-math").first.evaluate("e => getComputedStyle(e).direction") == "ltr"
    alt = page.locator(".sabaq-figure img").get_attribute("alt")
    assert alt == "تصویر: Cases by day، day کے مقابلے میں cases۔"  # in the lesson's language, not the browser's
    page.screenshot(path=str(screenshots / "a11y-urdu-inline-code.png"), full_page=True)
    page.context.close()
    real = _open(browser, site, "lesson-ur", "en")
    span = real.locator(".sabaq-lesson code", has_text="zip(days, week, strict=True)").first
    xs = span.evaluate(_CHARACTER_XS)
    assert xs == sorted(xs), f"the sample lesson's inline code does not read left to right: {xs}"
    real.context.close()


def test_every_figure_has_a_text_alternative(browser: Any, site: dict[str, Any]) -> None:
    for unit in ("lesson-en", "lesson-ur"):
        page = _open(browser, site, unit)
        alts = page.locator(".sabaq-lesson img").evaluate_all("els => els.map(e => e.getAttribute('alt'))")
        assert alts and all(alt and len(alt.split()) >= 8 for alt in alts), alts
        page.context.close()


def test_the_explorer_describes_its_settings_as_they_change(browser: Any, site: dict[str, Any]) -> None:
    page = _open(browser, site, "widgets")
    explorer = page.locator(".sabaq-explorer")
    summary = explorer.locator(".sabaq-explorer-summary")
    assert summary.get_attribute("aria-live") == "polite"
    assert explorer.locator("svg.sabaq-plot").get_attribute("aria-describedby") == summary.get_attribute("id")
    before = summary.inner_text()
    assert before.startswith("Shown for slope = 1.") and "y goes from 0 to 2, highest 2 at x 2." in before
    page.get_by_label("slope").focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("document.querySelector('.sabaq-explorer-summary').textContent.includes('slope = 2')")
    assert "highest 4 at x 2." in summary.inner_text()
    page.context.close()


def test_keyboard_only_answer_and_submit(browser: Any, site: dict[str, Any], screenshots: Path) -> None:
    page = _open(browser, site, "adding")
    _tab_until(page, "editor")
    hint = page.locator(".sabaq-editor-keys")
    assert "Escape, then Tab" in hint.inner_text()
    described = page.locator(".sabaq-answer .cm-content").get_attribute("aria-describedby")
    assert described == hint.get_attribute("id")
    page.keyboard.press("Tab")  # entered with Tab and nothing typed: Tab leaves again
    assert _focused(page) not in ("editor", "body")
    page.keyboard.press("Shift+Tab")
    assert _focused(page) == "editor"
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type("def add(a, b):\n")
    page.keyboard.type("return a + b")
    source = page.locator(".sabaq-answer .cm-content").inner_text()
    assert source.splitlines() == ["def add(a, b):", "    return a + b"]  # Python's four spaces
    page.keyboard.press("Home")
    page.keyboard.press("Tab")  # once typed in, Tab indents
    assert page.locator(".sabaq-answer .cm-line").nth(1).inner_text() == "        return a + b"
    assert _focused(page) == "editor"
    page.keyboard.press("Shift+Tab")
    assert page.locator(".sabaq-answer .cm-line").nth(1).inner_text() == "    return a + b"
    page.screenshot(path=str(screenshots / "a11y-editor-focused.png"), clip=_box(page, ".sabaq-answer"))
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")  # Escape then Tab always leaves
    assert _focused(page) not in ("editor", "body")
    if _focused(page) != "submit":  # the controls beside the editor come first
        _tab_until(page, "submit", limit=5)
    outline = page.locator(".sabaq-submit").evaluate(
        "e => { const s = getComputedStyle(e); return [s.outlineStyle, s.outlineWidth, s.outlineColor]; }")
    assert outline == ["solid", "3px", "rgb(11, 79, 156)"]
    page.keyboard.press("Enter")
    page.wait_for_selector(".sabaq-submit[aria-disabled='true']")
    assert _focused(page) == "submit"  # not dropped to the page's start
    assert page.locator(".sabaq-submit").get_attribute("aria-describedby")
    page.keyboard.press("Space")  # ignored while grading: no second submission, no error
    page.wait_for_selector(".sabaq-notebook[data-state='graded']", timeout=120_000)
    assert page.locator(".sabaq-notebook[data-request-error]").count() == 0
    assert _focused(page) == "submit"
    assert page.locator(".sabaq-submit").get_attribute("aria-disabled") == "false"
    assert "3" in page.locator(".sabaq-score").inner_text()
    assert page.locator(".sabaq-status .sabaq-attempts").inner_text().endswith("1")
    assert_accessible(page, where="the graded assignment")
    page.screenshot(path=str(screenshots / "a11y-keyboard-graded.png"), full_page=True)
    page.context.close()


def _box(page: Any, selector: str) -> dict[str, float]:
    box = page.locator(selector).first.bounding_box()
    return {"x": max(0, box["x"] - 8), "y": max(0, box["y"] - 8), "width": box["width"] + 16,
            "height": box["height"] + 16}


# The elements that reach past the page's right edge, outside any box that scrolls them.
_STICKING_OUT = """[...document.querySelectorAll('body *')].filter(e => {
  const r = e.getBoundingClientRect(); if (r.right <= document.documentElement.clientWidth + 0.5) return false;
  for (let p = e.parentElement; p; p = p.parentElement) {
    if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(p).overflowX)) return false; }
  return true; }).slice(0, 8).map(e => Math.round(e.getBoundingClientRect().right) + ' ' + e.outerHTML.slice(0, 160))"""


@pytest.mark.parametrize("width", [640, 320])  # 200% and 400% zoom of a 1280 px window
@pytest.mark.parametrize("unit", ["lesson-ur", "adding", "wide-ur", "widgets"])
def test_zoomed_pages_scroll_only_inside_code(browser: Any, site: dict[str, Any], screenshots: Path,
                                              unit: str, width: int) -> None:
    page = _open(browser, site, unit, width=width)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    wide = page.evaluate(_STICKING_OUT)
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at {width} CSS px: {wide}"
    regions = page.locator(".sabaq-scrolls")
    for k in range(regions.count()):
        region = regions.nth(k)
        assert region.get_attribute("tabindex") == "0" and region.get_attribute("role") == "region"
        assert region.get_attribute("aria-label")
        assert region.evaluate("e => e.scrollWidth > e.clientWidth")
    if unit == "wide-ur":
        assert regions.count() >= 3  # the code, its output and the formula
        for k in range(regions.count()):
            region = regions.nth(k)
            region.focus()
            page.keyboard.press("ArrowRight")
            page.wait_for_timeout(300)  # smooth scrolling
            assert region.evaluate("e => e.scrollLeft") > 0, region.evaluate("e => e.outerHTML.slice(0, 200)")
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineOffset")
        assert outline == "-3px"  # drawn inside the scrolling box, never clipped
    unscrollable = page.evaluate(
        "[...document.querySelectorAll('.sabaq-lesson pre, .sabaq-lesson .sabaq-output')]"
        ".filter(e => e.scrollWidth <= e.clientWidth && e.hasAttribute('tabindex')).length")
    assert unscrollable == 0
    assert_accessible(page, where=f"{unit} at {width} CSS px")
    if width == 320:
        page.screenshot(path=str(screenshots / f"a11y-{unit}-400pct.png"), full_page=True)
    page.context.close()


# The focused element's ring: its style, its contrast against the white page, and whether a
# box that clips its overflow cuts it off.
_RING = """() => {
  let e = document.activeElement; if (!e || e === document.body) return null;
  if (e.closest('.cm-content')) e = e.closest('.cm-editor');
  const s = getComputedStyle(e);
  const width = parseFloat(s.outlineWidth), offset = parseFloat(s.outlineOffset);
  const rgb = (s.outlineColor.match(/[\\d.]+/g) || []).map(Number);
  const lin = c => (c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  const lum = 0.2126 * lin(rgb[0]) + 0.7152 * lin(rgb[1]) + 0.0722 * lin(rgb[2]);
  const r = e.getBoundingClientRect(), grow = width + offset;
  const ring = { left: r.left - grow, right: r.right + grow, top: r.top - grow, bottom: r.bottom + grow };
  let clipped = null;
  for (let p = e.parentElement; p && !clipped; p = p.parentElement) {
    const ps = getComputedStyle(p);
    if (ps.overflowX === 'visible' && ps.overflowY === 'visible') continue;
    const b = p.getBoundingClientRect();
    const box = { left: b.left + p.clientLeft, top: b.top + p.clientTop };
    box.right = box.left + p.clientWidth; box.bottom = box.top + p.clientHeight;
    const outside = ring.left < box.left - 0.5 || ring.right > box.right + 0.5
      || ring.top < box.top - 0.5 || ring.bottom > box.bottom + 0.5;
    if (outside) clipped = p.tagName + '.' + p.className;
  }
  return { what: e.tagName + '.' + e.className + ' ' + (e.textContent || '').trim().slice(0, 30),
           style: s.outlineStyle, width, contrast: 1.05 / (lum + 0.05), clipped };
}"""


@pytest.mark.parametrize("width", [1280, 320])
@pytest.mark.parametrize("unit", ["adding", "wide-ur", "lesson-ur"])
def test_focus_rings_are_visible_and_not_clipped(browser: Any, site: dict[str, Any], unit: str,
                                                 width: int) -> None:
    page = _open(browser, site, unit, width=width)
    stops = []
    for _ in range(80):
        page.keyboard.press("Tab")
        page.wait_for_timeout(30)  # CodeMirror marks itself focused on its next update
        ring = page.evaluate(_RING)
        if ring is None or (stops and ring["what"] == stops[0]["what"]):
            break
        stops.append(ring)
        if ring["what"].startswith("DIV.cm-editor"):
            page.keyboard.press("Escape")  # leave the editor the documented way
    assert len(stops) >= 2, stops
    bad = [r for r in stops if r["style"] == "none" or r["width"] < 2 or r["contrast"] < 3 or r["clipped"]]
    assert not bad, f"focus rings that are missing, thin, faint or clipped at {width} CSS px: {bad}"
    page.context.close()


def test_staff_view_passes_axe(browser: Any, site: dict[str, Any], screenshots: Path) -> None:
    learner = _open(browser, site, "adding")
    learner.locator(".sabaq-answer .cm-content").click()
    learner.keyboard.press("Control+A")
    learner.keyboard.press("Delete")
    learner.keyboard.insert_text(RIGHT)
    learner.locator(".sabaq-submit").click()
    learner.wait_for_selector(".sabaq-notebook[data-state='graded']", timeout=120_000)
    learner.context.close()
    for locale in ("en", "ur"):
        staff = _open(browser, site, "adding", locale, student="staff-a11y")
        staff.locator(".sabaq-staff summary").focus()
        staff.keyboard.press("Enter")
        staff.wait_for_selector(".sabaq-staff-table tbody tr")
        staff.wait_for_selector(".sabaq-queue-figures dt")
        assert_accessible(staff, where=f"the staff view ({locale})")
        staff.screenshot(path=str(screenshots / f"a11y-staff-{locale}.png"), full_page=True)
        assert staff.errors == []
        staff.context.close()


def test_studio_view_passes_axe(browser: Any, site: dict[str, Any], screenshots: Path) -> None:
    for locale in ("en", "ur"):
        page = _open(browser, site, "adding", locale, student="staff-a11y-studio", view="studio_view")
        page.wait_for_selector(".sabaq-studio")
        assert_accessible(page, where=f"the Studio view ({locale})")
        page.screenshot(path=str(screenshots / f"a11y-studio-{locale}.png"), full_page=True)
        page.context.close()
