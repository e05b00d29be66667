"""Render a notebook's widget outputs as a self-contained HTML fragment (no kernel, no network).

The fragment holds the sanitized widget state, one view placeholder per widget output
(in notebook order) and a loader that starts ipywidgets' HTML manager from the
vendored files in ``static/vendor`` (inline, or from ``asset_url``). It never
references a CDN. Several fragments may share one page: the vendored scripts load once.

Content-Security-Policy needs: inline scripts (or serve the loader from ``asset_url``
and hash the small bootstrap), ``blob:`` in ``script-src`` (anywidget imports each
widget's ES module from a blob URL), and inline styles.
"""

from __future__ import annotations

import html
import json
import secrets
from collections.abc import Mapping
from typing import Any

from sabaq_contract.widgets.keys import VIEW_MIME, WIDGET_STATE_MIME, strip_keys, widget_states

from .assets import VENDOR_FILES, static_dir, vendor_dir
from .errors import NotebookFormatError
from .sanitize import linked_models, referenced_models, sanitize_model

_JSON_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026",
                 0x2028: "\\u2028", 0x2029: "\\u2029"}


def script_json(value: Any) -> str:
    """JSON that is safe inside a ``<script>`` element (no ``</script>``, no ``<!--``)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).translate(_JSON_ESCAPES)


def widget_views(notebook: Mapping[str, Any]) -> list[str]:
    """Model ids of the widget outputs of ``notebook``, in document order."""
    ids: list[str] = []
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []) if isinstance(cell, Mapping) else []:
            data = output.get("data", {}) if isinstance(output, Mapping) else {}
            view = data.get(VIEW_MIME) if isinstance(data, Mapping) else None
            if isinstance(view, Mapping) and isinstance(view.get("model_id"), str):
                ids.append(view["model_id"])
    return ids


def page_state(notebook: Mapping[str, Any], *, keep_keys: bool = False) -> dict[str, Any]:
    """The sanitized widget-state document for ``notebook``'s widget outputs.

    Answer keys are removed unless ``keep_keys`` (a lecturer's preview). Only models that
    a displayed widget needs are kept.
    """
    if not keep_keys:
        notebook, _keys = strip_keys(notebook)
    state = widget_states(notebook)
    views = widget_views(notebook)
    missing = [m for m in views if m not in state]
    if views and len(missing) == len(views):
        raise NotebookFormatError(
            "the notebook shows widgets but holds no state for them; execute it with widget "
            "state stored (sabaq_widgets.state.execute_notebook) before rendering"
        )
    needed = referenced_models(state, [m for m in views if m in state])
    needed += linked_models(state, needed)
    return {
        "version_major": 2,
        "version_minor": 0,
        "state": {m: sanitize_model(m, state[m]) for m in needed},
    }


def _vendor_text(name: str) -> str:
    return (vendor_dir() / name).read_text("utf-8")


def loader_html(root_id: str, *, asset_url: str | None = None) -> str:
    """Scripts that load the vendored front end once per page, then render ``root_id``'s widgets."""
    if asset_url is None:
        require = _vendor_text("require.js")
        rest = "\n".join(_vendor_text(n) for n in VENDOR_FILES[1:])
        vendor = (
            f'<script>if (typeof window.requirejs === "undefined") {{\n{require}\n}}</script>\n'
            f"<script>if (!window.sabaqWidgetsVendor) {{\n{rest}\n"
            "window.sabaqWidgetsVendor = Promise.resolve();\n}</script>\n"
        )
        base = ""
    else:
        vendor = ""
        base = asset_url.rstrip("/") + "/"
    boot = (
        (static_dir() / "loader.js")
        .read_text("utf-8")
        .replace("__ROOT_ID__", script_json(root_id))
        .replace("__BASE__", script_json(base))
        .replace("__FILES__", script_json(list(VENDOR_FILES)))
    )
    return f"{vendor}<script>\n{boot}\n</script>"


def render_fragment(
    notebook: Mapping[str, Any],
    *,
    asset_url: str | None = None,
    keep_keys: bool = False,
    root_id: str | None = None,
) -> str:
    """Render ``notebook``'s widget outputs as one HTML fragment that works with no kernel.

    ``notebook`` is nbformat v4 JSON with saved widget state (see ``state.execute_notebook``).
    With ``asset_url`` (where ``assets.vendor_dir()`` is served) the fragment stays small;
    without it the vendored scripts are inlined (about 3.8 MB). Answer keys are stripped
    unless ``keep_keys``. Raises ``UnsafeWidgetError`` for widgets whose code we do not ship.
    """
    if not isinstance(notebook, Mapping):
        raise NotebookFormatError("expected an nbformat v4 notebook (a JSON object)")
    state = page_state(notebook, keep_keys=keep_keys)
    root = root_id or f"sabaq-widgets-{secrets.token_hex(6)}"
    views = "\n".join(
        f'<div class="sabaq-widget-output"><script type="{VIEW_MIME}">'
        f'{script_json({"version_major": 2, "version_minor": 0, "model_id": m})}</script></div>'
        for m in widget_views(notebook)
        if m in state["state"]
    )
    return (
        f'<div class="sabaq-widgets" id="{html.escape(root)}">\n'
        f'<script type="{WIDGET_STATE_MIME}">{script_json(state)}</script>\n'
        f"{views}\n{loader_html(root, asset_url=asset_url)}\n</div>\n"
    )
