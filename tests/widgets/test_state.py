"""Widget state from executing a real notebook in a real kernel, then rendered offline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
import pytest

from sabaq_contract.widgets.keys import strip_keys, widget_states
from sabaq_widgets.state import execute_notebook
from sabaq_widgets.static_render import render_fragment

pytestmark = pytest.mark.slow

SOURCE = [
    "import ipywidgets as w\n"
    "from sabaq_widgets import MultipleChoice, NumericAnswer\n"
    "MultipleChoice('Which?', ['a', 'b', 'c'], answer=1, explanation='because b')",
    "NumericAnswer('R0?', 2.5, abs_tol=0.05)",
    "s = w.IntSlider(4, description='n'); t = w.IntText()\n"
    "w.jslink((s, 'value'), (t, 'value'))\n"
    "display(s, t)",
]


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = Path(tmp_path_factory.mktemp("nb")) / "lesson.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in SOURCE])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return execute_notebook(path, timeout=60)


def test_execution_records_full_widget_state(executed: dict[str, Any]) -> None:
    models = widget_states(executed)
    kinds = {m["state"].get("kind") for m in models.values() if m["model_module"] == "anywidget"}
    assert kinds == {"multiple_choice", "numeric"}
    names = {m["model_name"] for m in models.values()}
    assert {"IntSliderModel", "IntTextModel", "LinkModel"} <= names
    student, keys = strip_keys(executed)
    assert sorted(k["kind"] for k in keys.values()) == ["multiple_choice", "numeric"]
    assert "because b" not in str(student)


def test_execute_accepts_notebook_json(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    out = execute_notebook(nbformat.from_dict(nb), cwd=tmp_path)
    assert out["cells"][0]["outputs"][0]["data"]["text/plain"] == "2"


@pytest.mark.browser
def test_executed_notebook_renders_offline(executed: dict[str, Any], guarded: Any,
                                           static_site: Any) -> None:
    fragment = render_fragment(executed, asset_url="/vendor", root_id="executed")
    page = guarded.page
    page.goto(static_site.page("executed.html", fragment))
    page.wait_for_selector("#executed[data-sabaq-rendered]")
    assert page.locator(".sabaq-mc").count() == 1 and page.locator(".sabaq-numeric").count() == 1
    assert page.locator(".widget-readout").inner_text() == "4"
    number = page.locator(".widget-inline-hbox input[type=number]")
    number.fill("9")
    number.press("Enter")
    page.wait_for_function("document.querySelector('.widget-readout').textContent.trim() === '9'")
    page.get_by_label("b", exact=True).check()
    page.get_by_role("button", name="Check").first.click()
    assert "Answer saved" in page.locator(".sabaq-mc [role=status]").inner_text()
    assert guarded.blocked == [] and guarded.errors == []
