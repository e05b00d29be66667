"""The server side of the kernel-free widget host.

Widget models come from the instructor notebook's saved widget state, with the
answer keys split off by ``sabaq_widgets.scoring.strip_keys``; only Sabaq widget
kinds are hosted, and their front-end modules come from the ``sabaq-widgets``
package, never from the notebook (a notebook's ``_esm`` is not run). Learners
may change only their own traits; quiz answers are scored here, on the server.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any

from . import notebook as nbmod
from .errors import SabaqBlockError

LEARNER_TRAITS = frozenset({"response", "attempts", "selection"})
PRIVATE_TRAITS = frozenset({"key", "_esm", "_css", "_anywidget_id"})
MAX_STATE_BYTES = 64 * 1024

_CACHE: OrderedDict[str, tuple[dict[str, Any], dict[str, Any]]] = OrderedDict()
_LOCK = threading.Lock()


class WidgetInvalid(SabaqBlockError):
    """A widget request is malformed or names a widget the lesson does not have."""


def hosted_kinds() -> dict[str, tuple[str, str]]:
    """Widget kind → its own (ES module, CSS) file names in ``sabaq_widgets`` static files.

    Serve a kind's code with ``sabaq_widgets.assets.widget_module``: the files are only the
    kind's own part.
    """
    try:
        from sabaq_widgets.assets import WIDGET_MODULES
    except ImportError:
        return {}
    return dict(WIDGET_MODULES)


def lesson_widgets(notebook_json: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """``({model_id: {"kind", "state"}}, {model_id: {"kind", "key"}})`` for a notebook."""
    if not notebook_json:
        return {}, {}
    digest = nbmod.content_hash(notebook_json)
    with _LOCK:
        if digest in _CACHE:
            return _CACHE[digest]
    try:
        from sabaq_widgets.scoring import WIDGET_STATE_MIME, strip_keys
    except ImportError:
        return {}, {}
    stripped, keys = strip_keys(json.loads(notebook_json))
    states = (stripped.get("metadata", {}).get("widgets", {}) or {}).get(WIDGET_STATE_MIME, {})
    kinds = hosted_kinds()
    models = {}
    for model_id, model in (states.get("state") or {}).items():
        state = model.get("state") if isinstance(model, dict) else None
        if isinstance(state, dict) and state.get("kind") in kinds:
            public = {k: v for k, v in state.items() if k not in PRIVATE_TRAITS}
            models[model_id] = {"kind": state["kind"], "state": public}
    with _LOCK:
        _CACHE[digest] = (models, keys)
        while len(_CACHE) > 32:
            _CACHE.popitem(last=False)
    return models, keys


def load(notebook_json: str, saved: dict[str, Any]) -> dict[str, Any]:
    """Every hosted model with the learner's saved traits applied."""
    models, _keys = lesson_widgets(notebook_json)
    out = {}
    for model_id, model in models.items():
        state = dict(model["state"])
        state.update(saved.get(model_id) or {})
        out[model_id] = {"kind": model["kind"], "state": state}
    return {"models": out}


def save(
    notebook_json: str, saved: dict[str, Any], model_id: Any, changes: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Apply a learner's ``changes``; return (new saved values, traits for the page to set)."""
    models, keys = lesson_widgets(notebook_json)
    if not isinstance(model_id, str) or model_id not in models:
        raise WidgetInvalid("unknown_widget")
    if not isinstance(changes, dict) or not changes or set(changes) - LEARNER_TRAITS:
        raise WidgetInvalid("bad_widget")
    if len(json.dumps(changes)) > MAX_STATE_BYTES:
        raise WidgetInvalid("too_large")
    if "attempts" in changes and (
        not isinstance(changes["attempts"], int) or isinstance(changes["attempts"], bool)
    ):
        raise WidgetInvalid("bad_widget")
    mine = dict(saved.get(model_id) or {})
    mine.update(changes)
    echo: dict[str, Any] = {}
    if "response" in changes and model_id in keys:
        from sabaq_widgets.errors import SabaqWidgetError
        from sabaq_widgets.scoring import score_answer

        key = keys[model_id]
        try:
            verdict = score_answer(key["kind"], changes["response"], key["key"])
        except SabaqWidgetError as error:
            raise WidgetInvalid("bad_widget") from error
        mine["result"] = echo["result"] = verdict.as_result()
    new_saved = dict(saved)
    new_saved[model_id] = mine
    return new_saved, echo


def handle_widget_state(block: Any, data: Any) -> dict[str, Any]:
    """The ``widget_state`` handler's logic: ``load`` or ``save``."""
    source = block.notebook or block.student_notebook
    action = data.get("action") if isinstance(data, dict) else None
    if action == "load":
        return load(source, dict(block.widget_values))
    if action == "save":
        new_saved, echo = save(source, dict(block.widget_values), data.get("model_id"),
                               data.get("state"))
        block.widget_values = new_saved
        return {"state": echo}
    raise WidgetInvalid("bad_widget")
