"""Static fragments: what they embed, what they refuse, how they escape (no browser)."""

from __future__ import annotations

import json
import re

import ipywidgets as w
import pytest

from sabaq_contract.widgets.assets import widget_module
from sabaq_contract.widgets.keys import WIDGET_STATE_MIME, widget_states
from sabaq_widgets import MultipleChoice, NumericAnswer
from sabaq_widgets.errors import NotebookFormatError, UnsafeWidgetError
from sabaq_widgets.state import notebook_from_widgets
from sabaq_widgets.static_render import page_state, render_fragment, script_json

STATE_TAG = re.compile(r'<script type="application/vnd\.jupyter\.widget-state\+json">(.*?)</script>', re.S)


def _state_in(fragment: str) -> dict:
    return json.loads(STATE_TAG.search(fragment).group(1))


def test_fragment_strips_keys_by_default() -> None:
    mc = MultipleChoice("Which?", ["a", "b"], answer=1, explanation="secret explanation")
    nb = notebook_from_widgets([mc])
    fragment = render_fragment(nb, asset_url="/static/vendor")
    assert "secret explanation" not in fragment
    assert _state_in(fragment)["state"][mc.model_id]["state"]["key"] == {}
    kept = render_fragment(nb, asset_url="/static/vendor", keep_keys=True)
    assert _state_in(kept)["state"][mc.model_id]["state"]["key"]["explanation"] == "secret explanation"


def test_fragment_references_no_cdn() -> None:
    nb = notebook_from_widgets([NumericAnswer("Q", 1), w.IntSlider()])
    small = render_fragment(nb, asset_url="/static/vendor/")
    assert "https://" not in small and "http://" not in small
    assert '"/static/vendor/"' in small
    inline = render_fragment(nb)
    assert len(inline) > 3_000_000
    assert not re.search(r"https?://[a-z0-9.-]*(cdn|unpkg)", inline)


def test_script_text_cannot_close_the_script() -> None:
    evil = "</script><script>alert(1)</script><!--"
    nb = notebook_from_widgets([NumericAnswer(evil, 1)])
    fragment = render_fragment(nb, asset_url="/v")
    assert evil not in fragment
    assert fragment.count("<script") == fragment.count("</script>") == 3
    assert json.loads(script_json(evil)) == evil
    state = _state_in(fragment)
    assert [m["state"].get("question") for m in state["state"].values() if m["model_module"] == "anywidget"] == [evil]


def test_only_needed_models_and_links_are_kept() -> None:
    slider, text, unrelated = w.IntSlider(3), w.IntText(), w.IntText()
    link = w.jslink((slider, "value"), (text, "value"))
    w.jslink((slider, "value"), (unrelated, "value"))
    nb = notebook_from_widgets([slider, text])
    nb["metadata"]["widgets"][WIDGET_STATE_MIME]["state"].update(
        notebook_from_widgets([unrelated])["metadata"]["widgets"][WIDGET_STATE_MIME]["state"])
    ids = set(page_state(nb)["state"])
    assert {slider.model_id, text.model_id, link.model_id} <= ids
    assert unrelated.model_id not in ids
    assert slider.layout.model_id in ids


def test_sabaq_code_replaces_whatever_the_notebook_carried() -> None:
    num = NumericAnswer("Q", 1)
    nb = notebook_from_widgets([num])
    state = widget_states(nb)[num.model_id]["state"]
    state["_esm"] = "alert(1); export default {render(){}}"
    state["_css"] = "body{display:none}"
    clean = page_state(nb)["state"][num.model_id]["state"]
    assert (clean["_esm"], clean["_css"]) == widget_module("numeric")


def test_unknown_front_end_code_is_refused() -> None:
    nb = notebook_from_widgets([NumericAnswer("Q", 1)])
    model = next(iter(widget_states(nb).values()))
    model["state"]["kind"] = "custom"
    with pytest.raises(UnsafeWidgetError, match="not a Sabaq widget"):
        page_state(nb)
    model["state"]["kind"] = "numeric"
    model["model_module"] = "bqplot"
    with pytest.raises(UnsafeWidgetError, match="'bqplot'"):
        page_state(nb)


def test_html_content_is_cleaned() -> None:
    html = w.HTML("<b>bold</b><img src=x onerror=alert(1)><script>alert(2)</script>")
    label = w.IntSlider(description="<img src=x onerror=alert(3)>", description_allow_html=True)
    out = w.Output()
    out.outputs = (
        {"output_type": "display_data", "data": {"text/html": "<script>alert(4)</script>",
                                                  "text/plain": "plain"}, "metadata": {}},
        {"output_type": "stream", "name": "stdout", "text": "hello"},
        {"output_type": "display_data", "data": {"text/html": "<b>x</b>"}, "metadata": {}},
    )
    state = page_state(notebook_from_widgets([html, label, out]))["state"]
    assert "onerror" not in state[html.model_id]["state"]["value"]
    assert "<script" not in state[html.model_id]["state"]["value"]
    assert "<b>bold</b>" in state[html.model_id]["state"]["value"]
    assert state[label.model_id]["state"]["description_allow_html"] is False
    assert state[out.model_id]["state"]["outputs"] == [
        {"output_type": "display_data", "data": {"text/plain": "plain"}, "metadata": {}},
        {"output_type": "stream", "name": "stdout", "text": "hello"},
    ]


def test_static_pages_fetch_nothing_from_other_sites() -> None:
    html = w.HTML('<p>x</p><img src="https://example.org/pixel.png"><a href="https://example.org">l</a>')
    value = page_state(notebook_from_widgets([html]))["state"][html.model_id]["state"]["value"]
    assert "<img" not in value and "<p>x</p>" in value and "<a href" in value
    image = w.Image(value=b"https://example.org/pixel.png", format="url")
    with pytest.raises(UnsafeWidgetError, match="loads its media from a URL"):
        page_state(notebook_from_widgets([image]))
    embedded = w.Image(value=b"\x89PNG\r\n", format="png")
    assert embedded.model_id in page_state(notebook_from_widgets([embedded]))["state"]


def test_notebook_without_state_is_an_error() -> None:
    nb = notebook_from_widgets([NumericAnswer("Q", 1)])
    nb["metadata"] = {}
    with pytest.raises(NotebookFormatError, match="execute it"):
        render_fragment(nb)
    with pytest.raises(NotebookFormatError):
        render_fragment([])  # type: ignore[arg-type]
    plain = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    assert '"state":{}' in render_fragment(plain, asset_url="/v")


def test_vendored_files_match_the_recorded_build() -> None:
    import hashlib
    from pathlib import Path

    from sabaq_widgets.assets import VENDOR_FILES, vendor_dir

    lock = json.loads((Path(__file__).parents[2] / "widgets" / "js" / "vendor-lock.json").read_text())
    for name in VENDOR_FILES:
        assert (vendor_dir() / f"{name}.LICENSE.txt").is_file(), f"{name} has no licence file"
    for name, digest in lock["outputs"].items():
        assert hashlib.sha256((vendor_dir() / name).read_bytes()).hexdigest() == digest, name
    assert set(lock["packages"]) == {"requirejs", "@jupyter-widgets/html-manager", "anywidget"}
