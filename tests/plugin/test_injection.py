"""Nothing learner-controlled reaches the page as markup or script.

Each payload is planted where a learner (or anyone who can send a learner a link) controls
text: a saved draft, the code whose messages and output come back in the feedback, an
uploaded file's name, the learner's name (the workbench's ``?student=``, shown to staff in
the learner report), the display name, a widget answer. Then real Chromium opens the page
and nothing may run: no flag set, no dialog, no element with an event handler or a
``javascript:`` address, and the page still works and shows the text as text.
"""

from __future__ import annotations

import html
import json
import re
import urllib.parse
import uuid
from typing import Any

import notebooks
import pytest
from conftest import Course
from helpers import call, init_args
from servers import Client

from sabaq_xblock import notebook as nbmod

FLAG = "window.__sabaq_xss"

PAYLOADS = [
    "</script><script>window.__sabaq_xss=1</script>",
    "</script><img src=x onerror=window.__sabaq_xss=2>",
    "<script>window.__sabaq_xss=3</script>",
    "<ScRiPt>window.__sabaq_xss=4</sCrIpT>",
    "<scr<script>ipt>window.__sabaq_xss=5</scr</script>ipt>",
    "<img src=x onerror=window.__sabaq_xss=6>",
    "<img src=x onerror=&#119;indow.__sabaq_xss=7>",
    "<svg onload=window.__sabaq_xss=8>",
    "<svg><script>window.__sabaq_xss=9</script></svg>",
    "<body onload=window.__sabaq_xss=10>",
    "<details open ontoggle=window.__sabaq_xss=11>",
    "<input autofocus onfocus=window.__sabaq_xss=12>",
    "<iframe src=\"javascript:parent.__sabaq_xss=13\"></iframe>",
    "<iframe srcdoc=\"<script>parent.__sabaq_xss=14</script>\"></iframe>",
    "<object data=\"javascript:window.__sabaq_xss=15\"></object>",
    "<embed src=\"javascript:window.__sabaq_xss=16\">",
    "<a href=\"javascript:window.__sabaq_xss=17\">link</a>",
    "<form><button formaction=\"javascript:window.__sabaq_xss=18\">go</button></form>",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:window.__sabaq_xss=19\">",
    "\"><img src=x onerror=window.__sabaq_xss=20>",
    "'><img src=x onerror=window.__sabaq_xss=21>",
    "</textarea><img src=x onerror=window.__sabaq_xss=22>",
    "</title></style><img src=x onerror=window.__sabaq_xss=23>",
    "<!--<img src=\"--><img src=x onerror=window.__sabaq_xss=24>-->",
    "<noscript><p title=\"</noscript><img src=x onerror=window.__sabaq_xss=25>\">",
    "<math><mtext><table><mglyph><style><img src=x onerror=window.__sabaq_xss=26>",
    "<video><source onerror=\"window.__sabaq_xss=27\"></video>",
    "<audio src=x onerror=window.__sabaq_xss=28>",
    "${window.__sabaq_xss=29}`;window.__sabaq_xss=29;`",
    "{{constructor.constructor('window.__sabaq_xss=30')()}}",
    "\u2028\u2029</script><script>window.__sabaq_xss=31</script>",
    "\"}]);window.__sabaq_xss=32;//",
    "');alert(33);//",
    "<img src=x onerror=alert(34)>",
]
IDS = [f"p{i + 1}" for i in range(len(PAYLOADS))]
NAMES = [p for p in PAYLOADS if "/" not in p][:8]  # learner names travel in URL paths' queries

_PAGE_CHECK = """() => {
  const bad = [];
  for (const el of document.querySelectorAll("*")) {
    for (const a of el.attributes) {
      if (a.name.startsWith("on")) bad.push(el.tagName + "[" + a.name + "]");
      if (a.name === "srcdoc" || (["href", "src", "action", "formaction", "data"].includes(a.name) &&
          /^\\s*(javascript|vbscript|data:text\\/html)/i.test(a.value))) {
        bad.push(el.tagName + "[" + a.name + "=" + a.value + "]");
      }
    }
  }
  const planted = document.querySelectorAll(
    "body script:not([src]):not([type='json/xblock-args']), iframe, object, embed, " +
    "meta[http-equiv], base, .sabaq-notebook form");
  return { flag: window.__sabaq_xss === undefined ? null : String(window.__sabaq_xss), bad,
           planted: Array.from(planted).map((e) => e.tagName) };
}"""


# ---- the block's own markup (TestRuntime, no browser) -----------------------------------


@pytest.mark.parametrize("payload", PAYLOADS, ids=IDS)
def test_drafts_and_titles_reach_the_page_only_as_text(course: Course, payload: str) -> None:
    learner = course.block()
    assert call(learner, "save_draft", {"grade_id": "add", "source": payload})[0] == 200
    author = course.block("author", staff=True)
    author.display_name = payload
    author.save()
    page = course.block().render("student_view").body_html()
    arguments = re.findall(r'<script type="json/xblock-args"[^>]*>(.*?)</script>', page, re.S)
    assert len(arguments) == 1 and re.fullmatch(r'\{"encoded": "[A-Za-z0-9+/=]+"\}', arguments[0])
    assert init_args(page)["drafts"] == {"add": payload}
    assert f'<h2 class="sabaq-title" lang="en" dir="ltr">{html.escape(payload)}</h2>' in page


# ---- in the browser ---------------------------------------------------------------------


def _page(browser: Any) -> Any:
    context = browser.new_context()
    page = context.new_page()
    page.dialogs = []
    page.errors = []
    page.posts = []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("request", lambda r: r.method == "POST" and page.posts.append(r))
    return page


def _visit(page: Any, url: str, *, ready: bool = True) -> None:
    page.goto(url)
    if ready:
        page.wait_for_selector(".sabaq-notebook[data-ready='true']", timeout=20_000)
    page.wait_for_load_state("networkidle")


def _nothing_ran(page: Any) -> None:
    found = page.evaluate(_PAGE_CHECK)
    assert found == {"flag": None, "bad": [], "planted": []}, found
    assert page.dialogs == []


def _works(page: Any) -> None:
    assert page.errors == []
    assert page.locator(".sabaq-notebook[data-state]").count() == 1  # the status poll answered
    assert page.locator(".sabaq-notebook[data-request-error]").count() == 0


# The planted drafts and learner names. Every draft is planted first (over HTTP); then each
# payload's case opens, in a browser context and page of its own as before, its learner's page
# with the draft and then the two links that name a learner ``payload``, one after the other.
# Several cases are under way at once, taking turns: while one case's page loads (scripts, the
# status poll, half a second of network quiet), another's is looked at. Each payload's test then
# makes that case's assertions on what its pages showed, and names the payload when one fails.
AT_ONCE = 4  # cases under way at once: enough to overlap each page's waits on 2 cores
NOTHING = {"flag": None, "bad": [], "planted": []}  # what _PAGE_CHECK finds on a clean page


class _Case:
    """One payload's three visits, made in one page, as ``_visit`` makes them."""

    def __init__(self, payload: str, draft_url: str, link_urls: list[str]) -> None:
        self.payload = payload
        self.urls = [draft_url, *link_urls]
        self.seen: list[dict[str, Any]] = []  # what each visit found, in order
        self.failure = ""  # what went wrong opening or reading a page (the case fails on it)
        self.page: Any = None

    def _fail(self, error: Exception) -> None:
        self.failure = f"visit {len(self.seen) + 1} ({self.urls[len(self.seen)]}): {type(error).__name__}: {error}"

    def start(self, browser: Any) -> None:
        try:
            self.page = _page(browser)
            self.page.goto(self.urls[0], wait_until="commit")  # the rest of the load overlaps other cases'
        except Exception as error:  # reported by this payload's case
            self._fail(error)

    def step(self) -> bool:
        """Look at the page the case is on, then open its next one; whether any is left."""
        page = self.page
        try:
            if self.failure:
                raise RuntimeError(self.failure)
            draft = not self.seen
            page.wait_for_load_state("load")  # what _visit waits for (goto's own wait, then these)
            if draft:  # (the links are not waited on to be ready)
                page.wait_for_selector(".sabaq-notebook[data-ready='true']", timeout=20_000)
            page.wait_for_load_state("networkidle")
            seen = {"found": page.evaluate(_PAGE_CHECK), "dialogs": list(page.dialogs)}
            if draft:  # what _works reads, and the draft as the page shows it
                seen.update(errors=list(page.errors),
                            states=page.locator(".sabaq-notebook[data-state]").count(),
                            request_errors=page.locator(".sabaq-notebook[data-request-error]").count(),
                            textarea=page.locator(".sabaq-answer[data-grade-id='add'] textarea").input_value(),
                            editor=page.locator(".sabaq-answer .cm-content").inner_text())
            self.seen.append(seen)
            if len(self.seen) < len(self.urls):
                page.goto(self.urls[len(self.seen)], wait_until="commit")
                return True
        except Exception as error:  # reported by this payload's case
            if not self.failure:
                self._fail(error)
        if page is not None:
            page.context.close()
        return False


@pytest.fixture(scope="module")
def planted(browser: Any, live: dict[str, Any]) -> dict[str, tuple[int, _Case]]:
    """For each payload: the status ``save_draft`` answered, and what its case's pages showed."""
    base, scenario = live["base"], live["scenario"]
    cases: dict[str, tuple[int, _Case]] = {}
    for payload in PAYLOADS:
        learner = Client(base, f"d-{uuid.uuid4().hex[:8]}")
        usage = learner.usage_id(scenario)
        saved = learner.post(usage, "save_draft", {"grade_id": "add", "source": payload})[0]
        named = urllib.parse.quote(payload, safe="")  # a link that names the learner, on both views
        cases[payload] = saved, _Case(payload, f"{base}/view/{scenario}/?student={learner.student}",
                                      [f"{base}/{path}/{scenario}/?student={named}" for path in ("view", "scenario")])
    waiting, going = [case for _, case in cases.values()], []
    while waiting or going:
        while waiting and len(going) < AT_ONCE:
            going.append(waiting.pop(0))
            going[-1].start(browser)
        case = going.pop(0)
        if case.step():
            going.append(case)
    return cases


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("payload", PAYLOADS, ids=IDS)
def test_a_planted_draft_or_learner_name_runs_nothing(planted: dict[str, tuple[int, _Case]],
                                                     payload: str) -> None:
    """The draft case ran in the page before (</script> closed the runtime's script element)."""
    saved, case = planted[payload]
    assert saved == 200, f"save_draft of {payload!r} answered {saved}"
    assert not case.failure and len(case.seen) == 3, (payload, case.failure)
    for url, seen in zip(case.urls, case.seen, strict=True):
        assert seen["found"] == NOTHING, (payload, url, seen["found"])
        assert seen["dialogs"] == [], (payload, url, seen["dialogs"])
    draft = case.seen[0]
    assert draft["errors"] == [], (payload, draft["errors"])
    assert draft["states"] == 1, payload  # the status poll answered
    assert draft["request_errors"] == 0, payload
    assert draft["textarea"] == payload
    assert payload.strip("\u2028\u2029")[:12] in draft["editor"], (payload, draft["editor"])


def _hostile_code(payloads: list[str]) -> str:
    text = "\n".join(payloads)
    return f"def add(a, b):\n    print({text!r})\n    raise ValueError({text!r})\n"


@pytest.mark.browser
@pytest.mark.slow
def test_feedback_messages_outputs_and_upload_names_run_nothing(browser: Any,
                                                                live: dict[str, Any]) -> None:
    student = f"f-{uuid.uuid4().hex[:8]}"
    page = _page(browser)
    _visit(page, f"{live['base']}/view/{live['scenario']}/?student={student}")
    half = len(PAYLOADS) // 2
    editor = page.locator(".sabaq-answer[data-grade-id='add'] .cm-content")
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(_hostile_code(PAYLOADS[:half]))
    page.locator(".sabaq-submit").click()
    page.wait_for_selector(".sabaq-notebook[data-state='graded']", timeout=120_000)
    shown = "\n".join(page.locator(".sabaq-test-message, .sabaq-test-output").all_text_contents())
    assert PAYLOADS[0] in shown and PAYLOADS[half - 1] in shown, shown
    _nothing_ran(page)

    upload = nbmod.fill_answers(notebooks.student(), {"add": _hostile_code(PAYLOADS[half:])})
    name = "".join(NAMES[:3]).replace("/", "") + ".ipynb"
    page.locator(".sabaq-upload").set_input_files(
        {"name": name, "mimeType": "application/json", "buffer": json.dumps(upload).encode()})
    page.wait_for_function(
        """(marker) => document.querySelector('.sabaq-notebook').dataset.state === 'graded' &&
           document.querySelector('section.sabaq-feedback').textContent.includes(marker)""",
        arg=PAYLOADS[-1], timeout=120_000)
    shown = "\n".join(page.locator(".sabaq-test-message, .sabaq-test-output").all_text_contents())
    assert PAYLOADS[half] in shown and PAYLOADS[-1] in shown, shown
    _nothing_ran(page)
    _works(page)
    page.reload()
    page.wait_for_selector(".sabaq-notebook[data-state='graded']", timeout=20_000)
    _nothing_ran(page)

    cookie = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    handlers = [r for r in page.posts if "/handler/" in r.url]
    assert handlers and all(r.headers.get("x-csrftoken") == cookie for r in handlers)
    page.context.close()


@pytest.mark.browser
@pytest.mark.slow
def test_learner_names_in_the_staff_report_run_nothing(browser: Any,
                                                       live: dict[str, Any]) -> None:
    for name in NAMES:
        learner = Client(live["base"], urllib.parse.quote(name, safe=""))
        usage = learner.usage_id(live["scenario"])
        status, _ = learner.post(usage, "save_draft", {"grade_id": "add", "source": name})
        assert status == 200
        status, data = learner.post(usage, "submit", {"answers": {"add": name}})
        assert status in (200, 409), data
    page = _page(browser)
    _visit(page, f"{live['base']}/view/{live['scenario']}/?student=staff-injection")
    page.locator(".sabaq-staff summary").click()
    page.locator(".sabaq-staff-table tbody tr").first.wait_for()
    page.wait_for_load_state("networkidle")
    cells = page.locator(".sabaq-staff-table td").all_text_contents()
    assert all(name in cells for name in NAMES), cells
    _nothing_ran(page)
    _works(page)
    page.context.close()


@pytest.mark.browser
@pytest.mark.slow
def test_display_names_and_widget_answers_run_nothing(browser: Any, live: dict[str, Any]) -> None:
    staff = Client(live["base"], "staff-titles")
    usage = staff.usage_id(live["studio"])
    page = _page(browser)
    chunks: list[list[str]] = [[]]
    for payload in PAYLOADS:
        if len("".join(chunks[-1] + [payload])) > 200:
            chunks.append([])
        chunks[-1].append(payload)
    try:
        for chunk in chunks:
            title = "".join(chunk)
            assert staff.post(usage, "studio_submit", {"display_name": title})[0] == 200
            _visit(page, f"{live['base']}/view/{live['studio']}/?student=t-{uuid.uuid4().hex[:6]}")
            _nothing_ran(page)
            _works(page)
            assert page.locator(".sabaq-title").text_content() == title.strip()
    finally:
        staff.post(usage, "studio_submit", {"display_name": "Studio"})

    learner = Client(live["base"], f"w-{uuid.uuid4().hex[:8]}")
    widgets = learner.usage_id(live["widgets"])
    models = learner.post(widgets, "widget_state", {"action": "load"})[1]["models"]
    numeric = next(k for k, m in models.items() if m["kind"] == "numeric")
    status, _ = learner.post(widgets, "widget_state", {
        "action": "save", "model_id": numeric, "state": {"response": {"value": "".join(PAYLOADS)}}})
    assert status in (200, 400, 409)  # the server may refuse a non-number; nothing may run either way
    _visit(page, f"{live['base']}/view/{live['widgets']}/?student={learner.student}")
    page.wait_for_function(
        "document.querySelectorAll(\".sabaq-widget-view[data-mounted='true']\").length == 2")
    _nothing_ran(page)
    assert page.errors == []
    page.context.close()
