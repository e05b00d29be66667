"""Unit tests of the block's pure logic modules."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sabaq_contract.widgets.keys import VIEW_MIME, WIDGET_STATE_MIME
from sabaq_xblock import feedback, i18n, notebook, render
from sabaq_xblock.errors import NotebookInvalid

ROOT = Path(__file__).resolve().parents[2]


def test_import_is_light() -> None:
    code = ("import sys, time; t = time.perf_counter(); import sabaq_xblock.block; "
            "print(time.perf_counter() - t); "
            "print([m for m in sys.modules if m.split('.')[0] in ('nbgrader', 'nbformat', "
            "'jupyter_client', 'IPython', 'sabaq_grading', 'celery', 'sqlalchemy', 'markdown')])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seconds, modules = out.stdout.splitlines()
    assert modules == "[]"
    assert float(seconds) < 1.0  # a bound on import cost, not a timing benchmark


def test_compiled_catalogs_are_current() -> None:
    sys.path.insert(0, str(ROOT / "plugin" / "scripts"))
    from translations import compiled, messages

    catalogs = sorted((ROOT / "plugin/src/sabaq_xblock/translations").glob("*/LC_MESSAGES/*.po"))
    assert {p.parent.parent.name for p in catalogs} == {"en", "ur"}
    for po in catalogs:
        committed = messages(po.with_suffix(".mo").read_bytes())
        assert committed == messages(compiled(po)), f"run plugin/scripts/translations.py ({po})"


def test_every_interface_string_is_translated_into_urdu() -> None:
    t = i18n.translator("ur")
    for text in [*i18n.UI_STRINGS.values(), *i18n.ERROR_MESSAGES.values(),
                 *i18n.STUDIO_STRINGS.values()]:
        assert t(text) != text, text
    assert i18n.direction("ur") == "rtl" and i18n.direction("en") == "ltr"


@pytest.mark.parametrize("hostile", [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<iframe src=\"https://example.org\"></iframe>",
    "<svg onload=alert(1)></svg>",
    "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
    "<style>body{display:none}</style>",
    "<div style=\"background:url(javascript:alert(1))\" onclick=\"alert(1)\">x</div>",
    "<form action=\"https://evil\"><input name=x></form>",
])
def test_sanitizer(hostile: str) -> None:
    for html in (render.markdown_to_html(hostile),
                 render.render_output({"output_type": "display_data",
                                       "data": {"text/html": hostile}})):
        lowered = html.lower()
        for bad in ("<script", "onerror", "onload", "onclick", "javascript:", "<iframe",
                    "<svg", "<style", "data:text/html", "<form", "<input", "style="):
            assert bad not in lowered, (hostile, html)


def test_outputs_and_math() -> None:
    png = render.render_output({"output_type": "display_data",
                                "data": {"image/png": "iVBORw0KGgo=\n"}})
    assert 'src="data:image/png;base64,iVBORw0KGgo="' in png
    js = render.render_output({"output_type": "display_data",
                               "data": {"application/javascript": "alert(1)"}})
    assert js == ""
    err = render.render_output({"output_type": "error", "ename": "E", "evalue": "v",
                                "traceback": ["\x1b[31m<b>boom</b>\x1b[0m"]})
    assert "&lt;b&gt;boom" in err and "\x1b" not in err
    html = render.markdown_to_html("costs $5 and $6; $x_1 * y_2$ and $$\\frac{a}{b}$$")
    assert "costs $5 and $6" in html
    assert '<span class="sabaq-math sabaq-math-inline" dir="ltr">x_1 * y_2</span>' in html
    assert "sabaq-math-display" in html


def test_rendered_lesson_is_cached_by_content() -> None:
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
          "cells": [{"cell_type": "markdown", "metadata": {}, "source": "# Hi"}]}
    text = json.dumps(nb)
    first = render.render_cached(text)
    assert render.render_cached(text) is first


def test_notebook_loading_errors() -> None:
    for raw, code in ((b"{", "not_json"), (b"[]", "no_cells"),
                      (b'{"cells": [], "nbformat": 3}', "not_v4"),
                      (b'{"cells": [{"cell_type": "evil"}], "nbformat": 4}', "bad_cell"),
                      (b" " * (notebook.MAX_NOTEBOOK_BYTES + 1), "too_large")):
        with pytest.raises(NotebookInvalid) as info:
            notebook.load(raw)
        assert info.value.code == code
    assert "]]>" not in notebook.dumps({"cells": [], "x": "]]>"})


def _rich_notebook() -> dict[str, Any]:
    """A notebook with every part the block reads: kernelspec, widget state, nbgrader and
    jupyter metadata, attachments, and outputs of each kind."""
    png = "iVBORw0KGgo="
    view = {"model_id": "m1", "version_major": 2, "version_minor": 0}
    return {
        "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                     "language_info": {"name": "python"},
                     "widgets": {WIDGET_STATE_MIME: {"state": {"m1": {"model_name": "x", "state": {"kind": "slider"}}},
                                                     "version_major": 2, "version_minor": 0}}},
        "cells": [
            {"cell_type": "markdown", "id": "a", "metadata": {"sabaq": {"lang": "en"}},
             "source": ["# Hi ", "![x](attachment:x.png)"], "attachments": {"x.png": {"image/png": png}}},
            {"cell_type": "code", "id": "b", "execution_count": 1, "metadata": {"jupyter": {"source_hidden": False}},
             "source": "print(1)",
             "outputs": [{"output_type": "stream", "name": "stdout", "text": ["1\n"]},
                         {"output_type": "error", "ename": "E", "evalue": "v", "traceback": ["t"]},
                         {"output_type": "display_data", "metadata": {},
                          "data": {"image/png": png, "text/plain": ["fig"]}},
                         {"output_type": "display_data", "metadata": {}, "data": {VIEW_MIME: view}},
                         {"output_type": "execute_result", "execution_count": 1, "metadata": {},
                          "data": {"text/html": "<b>x</b>", "text/plain": "x"}}]},
            {"cell_type": "code", "id": "c", "execution_count": None, "outputs": [], "source": "def f():\n    pass",
             "metadata": {"nbgrader": {"grade_id": "f", "solution": True, "grade": False, "locked": False,
                                       "schema_version": 3}}},
            {"cell_type": "raw", "id": "d", "metadata": {}, "source": "raw"},
        ],
    }


def _paths(value: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield at
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        yield from _paths(child, (*at, key))


def test_a_notebook_of_any_shape_is_refused_at_load_or_shown() -> None:
    """Every part of a rich notebook replaced by each JSON type in turn: either ``load`` refuses
    it (a 400 with where, never a 500 later) or every view of it works. Closes the class: the
    block reads notebooks as plain JSON, and nothing else checks them for it."""
    from sabaq_xblock import widgets
    from sabaq_xblock.lesson_language import lesson_language

    rich = _rich_notebook()
    notebook.load(json.dumps(rich))
    refused = shown = 0
    for path in list(_paths(rich))[1:]:
        for wrong in (None, 7, "x", [], ["x", 1], {}, {"x": 1}):
            nb = copy.deepcopy(rich)
            owner = nb
            for key in path[:-1]:
                owner = owner[key]
            owner[path[-1]] = wrong
            text = json.dumps(nb)
            try:
                loaded = notebook.load(text)
            except NotebookInvalid as error:
                assert i18n.error_message(error.code, **error.params), (path, wrong)
                refused += 1
                continue
            render.render_notebook(loaded)
            notebook.answer_cells(loaded)
            notebook.max_points(loaded)
            lesson_language(loaded)
            render.without_quiz_sources(loaded)
            widgets.lesson_widgets(text)
            shown += 1
    assert refused and shown


def test_a_schema_breach_says_where() -> None:
    nb = _rich_notebook()
    nb["metadata"]["kernelspec"] = "BAD: should be a dict"  # nbformat's own v4_5_invalid_metadata test notebook
    with pytest.raises(NotebookInvalid) as info:
        notebook.load(json.dumps(nb))
    assert (info.value.code, info.value.params) == ("bad_structure", {"where": "metadata.kernelspec"})
    nb = _rich_notebook()
    nb["cells"][1]["outputs"][1]["traceback"] = "one line"
    with pytest.raises(NotebookInvalid) as info:
        notebook.load(json.dumps(nb))
    assert info.value.params == {"where": "cells[1].outputs[1].traceback"}
    assert "cells[1].outputs[1].traceback" in i18n.error_message("bad_structure", "ur", **info.value.params)
    v3 = {"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [{"cells": []}]}
    with pytest.raises(NotebookInvalid) as info:
        notebook.load(json.dumps(v3))
    assert info.value.code == "not_v4"  # not "no cells": they sit in its worksheets


def test_feedback_policies_never_show_hidden_text() -> None:
    report = {"status": "graded", "tests": [
        {"grade_id": "a", "points": 0, "max_points": 1, "passed": False, "hidden": True,
         "message": "H", "output": "HO"},
        {"grade_id": "b", "points": 1, "max_points": 1, "passed": True, "hidden": False,
         "message": "", "output": "visible"}]}
    full = feedback.learner_feedback(report, "full")
    assert "message" not in full[0] and full[1]["output"] == "visible"
    assert all("message" not in row for row in feedback.learner_feedback(report, "tests"))
    assert feedback.learner_feedback(report, "score") == []
    assert feedback.error_of({"error": {"kind": "timeout", "message": "m"}}) == {
        "kind": "timeout", "message": "m"}


def test_catalogs_hold_every_marked_string() -> None:
    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    package = ROOT / "plugin/src/sabaq_xblock"
    marked = {msg for _f, _l, msg, _c, _x in extract_from_dir(str(package), keywords={"_": None})}
    with (package / "translations/ur/LC_MESSAGES/text.po").open("rb") as handle:
        catalog = read_po(handle)
    translated = {m.id for m in catalog if m.id and m.string}
    assert marked <= translated, f"run translations.py and translate: {marked - translated}"
