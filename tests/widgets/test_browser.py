"""Static fragments in real Chromium: every widget renders with no kernel and no network,
and works with the keyboard and the mouse."""

from __future__ import annotations

import json
from typing import Any

import ipywidgets as w
import pytest

from sabaq_contract.widgets.assets import widget_module
from sabaq_widgets import MultipleChoice, NumericAnswer, ParameterExplorer, ShortAnswer
from sabaq_widgets.state import notebook_from_widgets
from sabaq_widgets.static_render import render_fragment

from ._pages import sir_curves, wave

pytestmark = pytest.mark.browser


def _open(guarded: Any, site: Any, name: str, widgets: list, *, keep_keys: bool = True,
          lang: str = "en", width: int = 900) -> Any:
    fragment = render_fragment(notebook_from_widgets(widgets), asset_url="/vendor",
                               keep_keys=keep_keys, root_id=f"root-{name}")
    page = guarded.page
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(site.page(f"{name}.html", fragment, lang=lang))
    page.wait_for_selector(f"#root-{name}[data-sabaq-rendered]")
    return page


def _clean(guarded: Any) -> None:
    assert guarded.blocked == [], f"requests left the machine: {guarded.blocked}"
    assert guarded.errors == [], guarded.errors


def test_multiple_choice_mouse(guarded: Any, static_site: Any) -> None:
    mc = MultipleChoice("Which curve shows the infected?", ["susceptible", "infected", "recovered"],
                        answer=1, feedback=["No: it only falls.", "Yes: it rises then falls.", "No."],
                        explanation="Infections peak when S falls below gamma/beta.")
    page = _open(guarded, static_site, "mc-mouse", [mc])
    root = page.locator(".sabaq-mc")
    assert root.locator("legend").inner_text() == "Which curve shows the infected?"
    page.get_by_label("susceptible").check()
    page.get_by_role("button", name="Check").click()
    status = root.get_by_role("status")
    assert "Try again" in status.inner_text() and "No: it only falls." in status.inner_text()
    assert "Infections peak" not in status.inner_text(), "the explanation waits for the right answer"
    page.get_by_text("infected", exact=True).click()  # the label toggles its radio
    page.get_by_role("button", name="Check").click()
    assert "Correct" in status.inner_text()
    assert "Infections peak" in status.inner_text()
    assert "Attempts: 2" in root.inner_text()
    guarded.shot("multiple_choice", root)
    _clean(guarded)


def test_multiple_choice_keyboard_multiple(guarded: Any, static_site: Any) -> None:
    mc = MultipleChoice("Which are compartments of the SIR model?", ["S", "X", "R"],
                        answer=[0, 2], multiple=True)
    page = _open(guarded, static_site, "mc-keys", [mc])
    page.locator(".sabaq-mc input").first.focus()
    page.keyboard.press("Space")          # tick S
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")          # tick R
    page.keyboard.press("Tab")            # the Check button
    assert page.evaluate("document.activeElement.textContent") == "Check"
    page.keyboard.press("Enter")
    status = page.locator(".sabaq-mc [role=status]")
    assert "Correct" in status.inner_text()
    assert page.locator(".sabaq-mc input:checked").count() == 2
    assert page.locator(".sabaq-mc fieldset").get_attribute("aria-describedby")
    _clean(guarded)


def test_shuffled_radio_group_with_arrow_keys(guarded: Any, static_site: Any) -> None:
    options = ["alpha", "beta", "gamma", "delta"]
    mc = MultipleChoice("Q?", options, answer=2, shuffle=True, seed=7)
    page = _open(guarded, static_site, "mc-radio", [mc])
    shown = page.locator(".sabaq-mc .sabaq-option label").all_inner_texts()
    assert shown == [options[i] for i in mc.order] and shown != options
    page.get_by_role("button", name="Check").click()
    status = page.locator(".sabaq-mc [role=status]")
    assert "Choose an answer first" in status.inner_text()
    assert "Attempts: 0" in page.locator(".sabaq-mc").inner_text()
    page.locator(".sabaq-mc input").first.focus()
    page.keyboard.press("Space")
    for _ in range(len(options)):        # arrows move (and select) within the radio group
        if page.evaluate("document.activeElement.nextElementSibling.textContent") == "gamma":
            break
        page.keyboard.press("ArrowDown")
    assert page.get_by_label("gamma").is_checked()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert "Correct" in status.inner_text()
    _clean(guarded)


def test_student_page_defers_to_the_host(guarded: Any, static_site: Any) -> None:
    mc = MultipleChoice("Q?", ["a", "b"], answer=1, explanation="server-only explanation")
    page = _open(guarded, static_site, "mc-student", [mc], keep_keys=False)
    assert "server-only" not in page.content()
    page.get_by_label("b").check()
    page.get_by_role("button", name="Check").click()
    status = page.locator(".sabaq-mc [role=status]")
    assert "Answer saved" in status.inner_text()
    untouched = page.evaluate(
        "(id) => document.getElementById('root-mc-student').sabaqWidgetManager.get_model(id)"
        ".then((m) => m.get('result'))", mc.model_id)
    assert untouched == {}, "without a key the front end must leave `result` to the host"
    # A host scores on the server and sets `result` on the model; the widget shows it.
    page.evaluate(
        """([id, result]) => document.getElementById('root-mc-student').sabaqWidgetManager
             .get_model(id).then((m) => { m.set('result', result); })""",
        [mc.model_id, {"correct": True, "fraction": 1.0, "feedback": "From the server",
                       "explanation": ""}],
    )
    page.wait_for_function("document.querySelector('.sabaq-mc [role=status]').textContent.includes('From the server')")
    assert "Correct" in status.inner_text()
    response = page.evaluate(
        "(id) => document.getElementById('root-mc-student').sabaqWidgetManager.get_model(id)"
        ".then((m) => [m.get('response'), m.get('attempts')])", mc.model_id)
    assert response == [{"selected": [1]}, 0], "without a key the host counts attempts, not the page"
    _clean(guarded)


def test_attempts_run_out_and_then_the_explanation_shows(guarded: Any, static_site: Any) -> None:
    mc = MultipleChoice("Which curve falls first?", ["infected", "susceptible", "recovered"], answer=1,
                        explanation="S only falls.", max_attempts=2)
    page = _open(guarded, static_site, "mc-limit", [mc])
    root = page.locator(".sabaq-mc")
    status = root.get_by_role("status")
    check = root.get_by_role("button", name="Check")
    assert "Attempts: 0 of 2" in root.inner_text()
    page.get_by_label("infected").check()
    check.click()
    assert "Try again" in status.inner_text() and "S only falls." not in status.inner_text()
    assert "Attempts: 1 of 2" in root.inner_text() and check.is_enabled()
    page.get_by_label("recovered").check()
    check.click()
    assert "Not correct" in status.inner_text() and "Try again" not in status.inner_text()
    assert "Explanation: S only falls." in status.inner_text()
    assert "You have used all your attempts." in status.inner_text()
    assert "Attempts: 2 of 2" in root.inner_text() and check.is_disabled()
    guarded.shot("multiple_choice_attempts_used", root)
    _clean(guarded)


def test_numeric_hint_after_a_wrong_answer(guarded: Any, static_site: Any) -> None:
    num = NumericAnswer("R0 when beta = 0.5 and gamma = 0.2?", 2.5, abs_tol=0.05,
                        hint="Divide beta by gamma.", explanation="R0 = 0.5 / 0.2 = 2.5.")
    page = _open(guarded, static_site, "numeric-hint", [num])
    status = page.locator(".sabaq-numeric [role=status]")
    assert "Divide beta" not in status.inner_text()
    page.get_by_label("R0 when beta = 0.5 and gamma = 0.2?").fill("0.1")
    page.keyboard.press("Enter")
    assert "Hint: Divide beta by gamma." in status.inner_text()
    assert "0.5 / 0.2" not in status.inner_text()
    page.get_by_label("R0 when beta = 0.5 and gamma = 0.2?").fill("2.5")
    page.keyboard.press("Enter")
    assert "Explanation: R0 = 0.5 / 0.2 = 2.5." in status.inner_text() and "Hint" not in status.inner_text()
    guarded.shot("numeric_hint", page.locator(".sabaq-numeric"))
    _clean(guarded)


def test_a_refused_check_is_shown(guarded: Any, static_site: Any) -> None:
    num = NumericAnswer("Q?", 1.0, max_attempts=1)
    page = _open(guarded, static_site, "refused", [num], keep_keys=False)
    page.get_by_label("Q?").fill("2")
    page.keyboard.press("Enter")
    status = page.locator(".sabaq-numeric [role=status]")
    assert "Answer saved" in status.inner_text()
    # The scorer (a kernel or an LMS) refuses with a custom message; the widget says why.
    page.evaluate(
        "(id) => document.getElementById('root-refused').sabaqWidgetManager.get_model(id)"
        ".then((m) => m.trigger('msg:custom', {event: 'refused', reason: 'no_attempts'}, []))",
        num.model_id)
    page.wait_for_function(
        "document.querySelector('.sabaq-numeric [role=status]').textContent.includes('used all your')")
    _clean(guarded)


def test_numeric_keyboard_and_mouse(guarded: Any, static_site: Any) -> None:
    num = NumericAnswer("What is R0 when beta = 0.5 and gamma = 0.2?", 2.5, abs_tol=0.05,
                        unit="people", feedback_correct="R0 = beta / gamma.",
                        feedback_incorrect="Divide beta by gamma.")
    page = _open(guarded, static_site, "numeric", [num])
    box = page.get_by_label("What is R0 when beta = 0.5 and gamma = 0.2?")
    status = page.locator(".sabaq-numeric [role=status]")
    box.focus()
    page.keyboard.type("abc")
    page.keyboard.press("Enter")
    assert "Enter a number" in status.inner_text()
    assert box.get_attribute("aria-invalid") == "true"
    assert "Attempts: 0" in page.locator(".sabaq-numeric").inner_text()
    box.fill("")
    page.keyboard.type("3")
    page.keyboard.press("Enter")
    assert "Try again" in status.inner_text() and "Divide beta" in status.inner_text()
    box.fill("2.52")
    page.get_by_role("button", name="Check").click()
    assert "Correct" in status.inner_text() and "beta / gamma" in status.inner_text()
    assert "Attempts: 2" in page.locator(".sabaq-numeric").inner_text()
    assert box.get_attribute("aria-describedby")
    guarded.shot("numeric", page.locator(".sabaq-numeric"))
    _clean(guarded)


def test_short_answer_keyboard(guarded: Any, static_site: Any) -> None:
    page = _open(guarded, static_site, "short",
                 [ShortAnswer("Which city is the capital of Sindh?", ["Karachi"], feedback_correct="Yes.")])
    page.get_by_label("Which city is the capital of Sindh?").focus()
    page.keyboard.type("  karachi ")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    status = page.locator(".sabaq-short [role=status]")
    assert "Correct" in status.inner_text()
    guarded.shot("short_answer", page.locator(".sabaq-short"))
    _clean(guarded)


def _path(page: Any) -> str:
    return page.locator(".sabaq-series").first.get_attribute("d")


def test_parameter_explorer_keyboard_and_mouse(guarded: Any, static_site: Any) -> None:
    explorer = ParameterExplorer(sir_curves, {"beta": (0.1, 1.0, 0.05), "gamma": [0.1, 0.2, 0.25]},
                                 x_label="day", y_label="fraction of population", title="SIR")
    page = _open(guarded, static_site, "explorer", [explorer])
    root = page.locator(".sabaq-explorer")
    assert root.locator(".sabaq-axis-label").all_text_contents() == ["day", "fraction of population"]
    assert root.locator(".sabaq-legend li").all_inner_texts() == ["susceptible", "infected", "recovered"]
    assert root.locator(".sabaq-series").count() == 3
    assert "SIR" in root.locator("svg.sabaq-plot > title").text_content()
    slider = page.get_by_label("beta")
    before = _path(page)
    slider.focus()
    for _ in range(8):
        page.keyboard.press("ArrowRight")
    assert root.locator("output").inner_text() == "0.5"
    assert slider.get_attribute("aria-valuetext") == "0.5"
    after_keys = _path(page)
    assert after_keys != before
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")      # gamma 0.1 -> 0.2 with the keyboard
    assert page.get_by_label("gamma").input_value() == "1"
    assert _path(page) != after_keys
    box = slider.bounding_box()
    page.mouse.click(box["x"] + box["width"] - 3, box["y"] + box["height"] / 2)
    assert root.locator("output").inner_text() == "1"
    guarded.shot("parameter_explorer", root)
    _clean(guarded)


def test_parameter_explorer_small_screen(guarded: Any, static_site: Any) -> None:
    explorer = ParameterExplorer(wave, {"shape": ["sine", "cosine"], "frequency": (0.5, 2.0, 0.5)},
                                 x_label="time (s)", y_label="amplitude")
    page = _open(guarded, static_site, "explorer-small", [explorer], width=360)
    svg = page.locator("svg.sabaq-plot").bounding_box()
    assert svg["width"] <= 360
    sizes = page.eval_on_selector_all(
        "svg.sabaq-plot text", "els => els.map(e => e.getBoundingClientRect().height)")
    assert min(sizes) >= 11, sizes
    page.get_by_label("shape").select_option(label="cosine")
    assert page.locator(".sabaq-series").count() == 1
    guarded.shot("parameter_explorer_small", page.locator(".sabaq-explorer"))
    _clean(guarded)


def test_parameter_explorer_with_x_per_combination(guarded: Any, static_site: Any) -> None:
    explorer = ParameterExplorer(lambda n: {"x": list(range(n)), "y": [float(k) for k in range(n)]},
                                 {"n": [2, 5]}, x_label="x", y_label="y")
    assert explorer.x == []
    page = _open(guarded, static_site, "explorer-x", [explorer])
    assert page.locator(".sabaq-series").get_attribute("d").count("L") == 1
    page.get_by_label("n").select_option(label="5")
    assert page.locator(".sabaq-series").get_attribute("d").count("L") == 4
    _clean(guarded)


def test_labels_cannot_inject_script(guarded: Any, static_site: Any) -> None:
    evil = "<img src=x onerror=\"window.__xss=1\">"
    widgets = [
        MultipleChoice(evil, [evil, "<script>window.__xss=2</script>"], answer=0, feedback=[evil, ""],
                       explanation=evil),
        NumericAnswer(evil, 1, unit=evil),
        ParameterExplorer(lambda a: {"x": [0, 1], evil: [0, 1]}, {"a": ["<b onmouseover=x>"]},
                          x_label=evil, y_label=evil, title=evil),
    ]
    page = _open(guarded, static_site, "xss", widgets)
    page.locator(".sabaq-mc input").first.check()
    page.get_by_role("button", name="Check").first.click()
    page.wait_for_timeout(200)
    assert page.evaluate("window.__xss") is None
    assert page.locator(".sabaq-widget img").count() == 0
    assert page.locator(".sabaq-widget script").count() == 0
    assert evil in page.locator(".sabaq-mc legend").inner_text()
    assert evil in page.locator(".sabaq-mc [role=status]").inner_text()
    _clean(guarded)


def test_urdu_right_to_left(guarded: Any, static_site: Any) -> None:
    mc = MultipleChoice("کون سا منحنی متاثرہ افراد دکھاتا ہے؟", ["حساس", "متاثرہ", "صحت یاب"], answer=1,
                        explanation="متاثرہ افراد پہلے بڑھتے ہیں پھر کم ہوتے ہیں۔")
    num = NumericAnswer("R0 کیا ہے؟", 2.5, abs_tol=0.05)
    page = _open(guarded, static_site, "urdu", [mc, num], lang="ur")
    root = page.locator(".sabaq-mc")
    assert root.get_attribute("dir") == "rtl"
    assert page.get_by_role("button", name="جانچیں").count() == 2
    page.get_by_label("متاثرہ", exact=True).check()
    page.get_by_role("button", name="جانچیں").first.click()
    assert "درست" in root.get_by_role("status").inner_text()
    # The question starts at the right edge in a right-to-left page.
    legend = root.locator("legend").bounding_box()
    frame = root.bounding_box()
    assert frame["x"] + frame["width"] - (legend["x"] + legend["width"]) < 40
    page.get_by_label("R0 کیا ہے؟").fill("۲٫۵")
    page.keyboard.press("Enter")
    assert "درست" in page.locator(".sabaq-numeric [role=status]").inner_text()
    guarded.shot("multiple_choice_urdu", root)
    _clean(guarded)


def test_language_trait_overrides_page(guarded: Any, static_site: Any) -> None:
    mc = MultipleChoice("Q?", ["a", "b"], answer=0, language="ur", labels={"check": "Submit"})
    page = _open(guarded, static_site, "lang", [mc], lang="en")
    assert page.locator(".sabaq-mc").get_attribute("dir") == "rtl"
    assert page.get_by_role("button", name="Submit").count() == 1
    assert "ایک جواب چنیں" in page.locator(".sabaq-mc").inner_text()
    _clean(guarded)


def test_ipywidgets_jslink_stays_linked(guarded: Any, static_site: Any) -> None:
    slider = w.IntSlider(3, min=0, max=10, description="n")
    text = w.IntText(description="value")
    label = w.Label()
    w.jslink((slider, "value"), (text, "value"))
    w.jsdlink((slider, "description"), (label, "value"))
    page = _open(guarded, static_site, "jslink", [slider, text, label])
    number = page.locator(".widget-inline-hbox input[type=number]")
    assert number.input_value() == "3"
    number.fill("7")
    number.press("Enter")
    page.wait_for_function("document.querySelector('.widget-readout').textContent.trim() === '7'")
    page.locator(".noUi-handle").focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("document.querySelector('.widget-inline-hbox input[type=number]').value === '8'")
    assert page.locator(".widget-label").last.inner_text() == "n"
    _clean(guarded)


def test_inline_fragment_needs_no_server(guarded: Any, tmp_path: Any) -> None:
    num = NumericAnswer("Q?", 2.0)
    fragment = render_fragment(notebook_from_widgets([num]), keep_keys=True, root_id="inline")
    page = guarded.page
    lesson = tmp_path / "lesson.html"
    lesson.write_text(f'<!doctype html><html lang="en"><body>{fragment}</body></html>', "utf-8")
    page.goto(lesson.as_uri())
    page.wait_for_selector("#inline[data-sabaq-rendered]")
    page.get_by_label("Q?").fill("2")
    page.keyboard.press("Enter")
    assert "Correct" in page.locator(".sabaq-numeric [role=status]").inner_text()
    _clean(guarded)


def test_two_fragments_share_one_page(guarded: Any, static_site: Any) -> None:
    first = render_fragment(notebook_from_widgets([NumericAnswer("First?", 1)]), asset_url="/vendor")
    second = render_fragment(notebook_from_widgets([NumericAnswer("Second?", 2)]), asset_url="/vendor")
    page = guarded.page
    page.goto(static_site.page("two.html", first + second))
    page.wait_for_function("document.querySelectorAll('[data-sabaq-rendered]').length === 2")
    assert page.locator(".sabaq-numeric").count() == 2
    assert page.evaluate("document.querySelectorAll('script[src$=\"require.js\"]').length") == 1
    _clean(guarded)


CASES = [
    ("numeric", {"value": "۲٫۵"}, {"answer": 2.5, "abs_tol": 0.0, "rel_tol": 1e-6}),
    ("numeric", {"value": "2.6"}, {"answer": 2.5, "abs_tol": 0.05, "rel_tol": 1e-6}),
    ("numeric", {"value": "1009"}, {"answer": 1000, "abs_tol": 0, "rel_tol": 0.01}),
    ("numeric", {"value": "0x10"}, {"answer": 16, "abs_tol": 0, "rel_tol": 1e-6}),
    ("numeric", {"value": "-2.5e0"}, {"answer": -2.5, "abs_tol": 0, "rel_tol": 1e-6}),
    ("short_answer", {"text": " New  York "}, {"accepted": ["new york"]}),
    ("short_answer", {"text": "Karachi"}, {"accepted": ["karachi"], "case_sensitive": True}),
    ("short_answer", {"text": "gray"}, {"accepted": [], "pattern": "gr[ae]y"}),
    ("short_answer", {"text": "GREY"}, {"accepted": [], "pattern": "gr[ae]y"}),
    ("multiple_choice", {"selected": [0, 1]}, {"answer": [0, 2], "feedback": ["a", "b", "c"]}),
    ("multiple_choice", {"selected": [0, 2]}, {"answer": [0, 2], "feedback": []}),
]


def test_browser_scoring_matches_server_scoring(guarded: Any, static_site: Any) -> None:
    from sabaq_contract.widgets.scoring import score_answer

    modules = static_site.root / "widgets"
    modules.mkdir(exist_ok=True)
    for kind in ("multiple_choice", "numeric", "short_answer"):
        (modules / f"{kind}.js").write_text(widget_module(kind)[0], "utf-8")
    page = guarded.page
    page.goto(static_site.page("score.html", ""))
    results = page.evaluate(
        """async (cases) => {
          const mc = await import('/widgets/multiple_choice.js');
          const num = await import('/widgets/numeric.js');
          const short = await import('/widgets/short_answer.js');
          return cases.map(([kind, answer, key]) => {
            if (kind === 'numeric') return num.scoreNumeric(answer.value, key);
            if (kind === 'short_answer') return short.scoreShortAnswer(answer.text, key);
            return mc.scoreMultipleChoice(answer.selected, key);
          });
        }""",
        json.loads(json.dumps(CASES)),
    )
    for (kind, answer, key), got in zip(CASES, results, strict=True):
        expected = score_answer(kind, answer, key)
        assert (got["correct"], got["fraction"], got["feedback"]) == (
            expected.correct, expected.fraction, expected.feedback), (kind, answer, key)
    _clean(guarded)


VERDICTS = [
    ({"correct": False, "fraction": 0, "feedback": "f", "explanation": "E", "hint": "H"}, 1,
     {"max_attempts": 0, "reveal": "after_correct_or_exhausted"}, {}),
    ({"correct": False, "fraction": 0.5, "feedback": "", "explanation": "E", "hint": "H"}, 2,
     {"max_attempts": 2, "reveal": "after_correct_or_exhausted"}, {}),
    ({"correct": True, "fraction": 1, "feedback": "", "explanation": "E", "hint": "H"}, 1,
     {"max_attempts": 3, "reveal": "after_correct_or_exhausted"}, {}),
    ({"correct": False, "fraction": 0, "feedback": "", "explanation": "E", "hint": ""}, 4,
     {"max_attempts": 0, "reveal": "after_correct_or_exhausted"}, {"solved": True}),
    ({"correct": True, "fraction": 1, "feedback": "", "explanation": "E", "hint": ""}, 1,
     {"max_attempts": 1, "reveal": "never"}, {}),
    ({"correct": False, "fraction": 0, "feedback": "", "explanation": "E", "hint": "H"}, 1,
     {"max_attempts": 5, "reveal": "always"}, {}),
]


def test_browser_reveal_rule_matches_the_servers(guarded: Any, static_site: Any) -> None:
    from sabaq_contract.widgets.attempts import Rules, verdict
    from sabaq_contract.widgets.scoring import Score

    modules = static_site.root / "widgets"
    modules.mkdir(exist_ok=True)
    (modules / "numeric.js").write_text(widget_module("numeric")[0], "utf-8")
    page = guarded.page
    page.goto(static_site.page("verdict.html", ""))
    results = page.evaluate(
        """async (cases) => {
          const { verdict } = await import('/widgets/numeric.js');
          return cases.map(([score, attempts, rules, previous]) => verdict(score, attempts, rules, previous));
        }""",
        VERDICTS,
    )
    for (score, attempts, rules, previous), got in zip(VERDICTS, results, strict=True):
        expected = verdict(Score(score["correct"], score["fraction"], score["feedback"], score["explanation"],
                                 score["hint"]), attempts=attempts, rules=Rules(**rules), previous=previous)
        assert got == expected, (score, attempts, rules, previous)
    _clean(guarded)
