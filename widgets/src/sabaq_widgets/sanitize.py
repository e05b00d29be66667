"""Make saved widget state safe to render in a learner's page.

Widget state comes from notebooks, and notebooks are content: they must not be able to
run script in the LMS page. Static rendering therefore only accepts the models whose
front-end code we ship (ipywidgets' base, controls and output models, and Sabaq's own
anywidgets, whose ES module and CSS are replaced by the copies in ``sabaq_contract.widgets``), turns
off HTML in descriptions, cleans the HTML of HTML widgets (no images: they would be
requests to other sites), refuses media loaded from URLs, and keeps only plain text in
Output widgets. No Jupyter imports.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from sabaq_contract.widgets.assets import WIDGET_MODULES, widget_module

from .errors import UnsafeWidgetError

ALLOWED_MODULES = frozenset(
    {"@jupyter-widgets/base", "@jupyter-widgets/controls", "@jupyter-widgets/output", "anywidget"}
)
_HTML_VALUE_MODELS = frozenset({"HTMLModel", "HTMLMathModel"})
_TEXT_OUTPUTS = frozenset({"text/plain"})


_MEDIA_MODELS = frozenset({"ImageModel", "VideoModel", "AudioModel"})


def _clean_html(html: str) -> str:
    import nh3

    # No <img>: an image source is a request the page would make to another site.
    return nh3.clean(html, tags=nh3.ALLOWED_TAGS - {"img"})


def _clean_output(output: Mapping[str, Any]) -> dict[str, Any] | None:
    if output.get("output_type") == "stream":
        return {"output_type": "stream", "name": output.get("name", "stdout"), "text": output.get("text", "")}
    data = output.get("data")
    if isinstance(data, Mapping) and "text/plain" in data:
        kept = {k: v for k, v in data.items() if k in _TEXT_OUTPUTS}
        return {"output_type": output.get("output_type", "display_data"), "data": kept, "metadata": {}}
    return None


def sanitize_model(model_id: str, model: Mapping[str, Any]) -> dict[str, Any]:
    """Return a safe copy of one model's saved state, or raise ``UnsafeWidgetError``."""
    if not isinstance(model, Mapping) or not isinstance(model.get("state"), Mapping):
        raise UnsafeWidgetError(f"widget model {model_id} has no state object")
    module = model.get("model_module")
    view_module = model["state"].get("_view_module", module)
    for name in (module, view_module):
        if name is not None and name not in ALLOWED_MODULES:
            raise UnsafeWidgetError(
                f"widget model {model_id} needs front-end module {name!r}; static pages only "
                f"run {', '.join(sorted(ALLOWED_MODULES))} (no third-party widget code)"
            )
    clean = copy.deepcopy(dict(model))
    state: dict[str, Any] = clean["state"]
    if module == "anywidget":
        kind = state.get("kind")
        if kind not in WIDGET_MODULES:
            raise UnsafeWidgetError(
                f"widget model {model_id} is an anywidget that is not a Sabaq widget "
                f"(kind {kind!r}); its ES module will not run in a learner's page"
            )
        state["_esm"], state["_css"] = widget_module(kind)
        state.setdefault("_anywidget_id", f"sabaq_widgets.{kind}")
    if state.get("description_allow_html"):
        state["description_allow_html"] = False
    if model.get("model_name") in _MEDIA_MODELS and state.get("format") == "url":
        raise UnsafeWidgetError(
            f"widget model {model_id} loads its media from a URL, which a static page must not "
            "fetch; display the file's bytes instead (for example Image.from_file)"
        )
    if model.get("model_name") in _HTML_VALUE_MODELS and isinstance(state.get("value"), str):
        state["value"] = _clean_html(state["value"])
    if model.get("model_name") == "OutputModel":
        outputs = [_clean_output(o) for o in state.get("outputs", []) if isinstance(o, Mapping)]
        state["outputs"] = [o for o in outputs if o is not None]
    return clean


def referenced_models(state: Mapping[str, Any], roots: list[str]) -> list[str]:
    """The models reachable from ``roots`` through ``"IPY_MODEL_<id>"`` references, roots first."""
    seen: list[str] = []
    stack = list(reversed(roots))
    while stack:
        model_id = stack.pop()
        if model_id in seen or model_id not in state:
            continue
        seen.append(model_id)
        found: list[str] = []
        _collect_refs(state[model_id].get("state", {}), found)
        stack.extend(reversed(found))
    return seen


def linked_models(state: Mapping[str, Any], shown: list[str]) -> list[str]:
    """Models that are not displayed but connect displayed ones (``jslink``, ``jsdlink``).

    A model qualifies when it references at least one model and every model it references
    is already on the page.
    """
    present = set(shown)
    extra: list[str] = []
    changed = True
    while changed:
        changed = False
        for model_id, model in state.items():
            if model_id in present or not isinstance(model, Mapping):
                continue
            refs: list[str] = []
            _collect_refs(model.get("state", {}), refs)
            if refs and all(r in present for r in refs):
                extra.append(model_id)
                present.add(model_id)
                changed = True
    return extra


def _collect_refs(value: Any, found: list[str]) -> None:
    if isinstance(value, str) and value.startswith("IPY_MODEL_"):
        found.append(value[len("IPY_MODEL_") :])
    elif isinstance(value, Mapping):
        for item in value.values():
            _collect_refs(item, found)
    elif isinstance(value, list):
        for item in value:
            _collect_refs(item, found)
