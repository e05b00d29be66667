"""The server side of the kernel-free widget host.

Widget models come from the instructor notebook's saved widget state, with the
answer keys split off by ``sabaq_contract.widgets.keys.strip_keys``; only Sabaq
widget kinds are hosted, and their front-end modules come from
``sabaq_contract.widgets.assets``, never from the notebook (a notebook's ``_esm``
is not run). Learners may change only their own traits
(``sabaq_contract.widgets.traits``); quiz answers are scored, counted and limited
here, on the server (``sabaq_contract.widgets.attempts``), and their record kept
in ``widget_checks``. None of it imports Jupyter.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any

from sabaq_contract.widgets import attempts as rules_
from sabaq_contract.widgets.assets import WIDGET_MODULES
from sabaq_contract.widgets.errors import AttemptsExhaustedError, SabaqWidgetError
from sabaq_contract.widgets.keys import WIDGET_STATE_MIME, strip_keys
from sabaq_contract.widgets.scoring import ANSWER_FIELDS
from sabaq_contract.widgets.traits import LEARNER_TRAITS, PRIVATE_TRAITS, SERVER_OWNED_TRAITS

from . import notebook as nbmod
from .errors import NotAllowed, SabaqBlockError
from .widget_checks import Record, WidgetChecks

MAX_STATE_BYTES = 64 * 1024

_CACHE: OrderedDict[str, tuple[dict[str, Any], dict[str, Any]]] = OrderedDict()
_LOCK = threading.Lock()


class WidgetInvalid(SabaqBlockError):
    """A widget request is malformed or names a widget the lesson does not have."""


class WidgetRefused(NotAllowed):
    """The learner may not do this to a widget: no checks left, or a server-owned trait."""


def hosted_kinds() -> dict[str, tuple[str, str]]:
    """Widget kind → its own (ES module, CSS) file names in ``sabaq_contract.widgets`` static files.

    Serve a kind's code with ``sabaq_contract.widgets.assets.widget_module``: the files are
    only the kind's own part.
    """
    return dict(WIDGET_MODULES)


def lesson_widgets(notebook_json: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """``({model_id: {"kind", "state"}}, {model_id: {"kind", "key"}})`` for a notebook."""
    if not notebook_json:
        return {}, {}
    digest = nbmod.content_hash(notebook_json)
    with _LOCK:
        if digest in _CACHE:
            return _CACHE[digest]
    stripped, keys = strip_keys(json.loads(notebook_json))
    states = (stripped.get("metadata", {}).get("widgets", {}) or {}).get(WIDGET_STATE_MIME, {})
    kinds = hosted_kinds()
    models = {}
    for model_id, model in (states.get("state") or {}).items():
        state = model.get("state") if isinstance(model, dict) else None
        if isinstance(state, dict) and isinstance(state.get("kind"), str) and state["kind"] in kinds:
            public = {k: v for k, v in state.items() if k not in PRIVATE_TRAITS}
            models[model_id] = {"kind": state["kind"], "state": public}
    with _LOCK:
        _CACHE[digest] = (models, keys)
        while len(_CACHE) > 32:
            _CACHE.popitem(last=False)
    return models, keys


def load(notebook_json: str, saved: dict[str, Any], checks: dict[str, Record]) -> dict[str, Any]:
    """Every hosted model with the learner's own traits and the server's record applied.

    ``saved`` is the learner's XBlock field (only ``LEARNER_TRAITS`` are taken from it:
    values saved by older versions may hold learner-written counts); ``checks`` is
    ``WidgetChecks.records()``.
    """
    models, _keys = lesson_widgets(notebook_json)
    out = {}
    for model_id, model in models.items():
        state = dict(model["state"])
        mine = saved.get(model_id)
        if isinstance(mine, dict):
            state.update({k: v for k, v in mine.items() if k in LEARNER_TRAITS})
        if model_id in checks:
            state.update(checks[model_id].traits())
        out[model_id] = {"kind": model["kind"], "state": state}
    return {"models": out}


def _changes(models: dict[str, Any], model_id: Any, changes: Any) -> dict[str, Any]:
    if not isinstance(model_id, str) or model_id not in models:
        raise WidgetInvalid("unknown_widget")
    if not isinstance(changes, dict) or not changes:
        raise WidgetInvalid("bad_widget")
    if set(changes) & SERVER_OWNED_TRAITS:
        raise WidgetRefused("widget_server_owned")
    if set(changes) - LEARNER_TRAITS:
        raise WidgetInvalid("bad_widget")
    if len(json.dumps(changes)) > MAX_STATE_BYTES:
        raise WidgetInvalid("too_large")
    return changes


def check(
    notebook_json: str, checks: WidgetChecks, model_id: str, response: Any
) -> dict[str, Any]:
    """Score, count and record one check of ``response``; return the traits for the page.

    Refused (``WidgetRefused("widget_no_attempts")``, nothing recorded) once the widget's
    ``max_attempts`` are used, and ``WidgetInvalid`` for an answer of the wrong shape or a
    widget that is not a quiz. The verdict carries the explanation only once it is earned.
    """
    models, keys = lesson_widgets(notebook_json)
    if model_id not in keys:
        raise WidgetInvalid("bad_widget")
    kind, key = keys[model_id]["kind"], keys[model_id]["key"]
    field = ANSWER_FIELDS[kind]
    if not isinstance(response, dict) or field not in response:
        raise WidgetInvalid("bad_widget")
    answer = {field: response[field]}
    try:
        rules = rules_.Rules.of(models[model_id]["state"])
    except SabaqWidgetError as error:
        raise WidgetInvalid("bad_widget") from error

    def decide(current: Record) -> Record:
        try:
            used, result = rules_.check(kind, answer, key, attempts=current.attempts,
                                        rules=rules, previous=current.result)
        except AttemptsExhaustedError as error:
            raise WidgetRefused("widget_no_attempts") from error
        except SabaqWidgetError as error:
            raise WidgetInvalid("bad_widget") from error
        return Record(used, answer, result)

    return checks.check(model_id, decide).traits()


def handle_widget_state(
    data: Any, notebook_json: str, saved: dict[str, Any], checks: WidgetChecks
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The ``widget_state`` handler's logic: ``(answer, new saved values or None)``.

    ``{"action": "load"}`` returns every model; ``{"action": "save", "model_id", "state"}``
    stores ``selection`` in the learner's values and treats ``response`` as a check. A save
    that names ``attempts`` or ``result`` is refused whole, changing nothing.
    """
    action = data.get("action") if isinstance(data, dict) else None
    if action == "load":
        return load(notebook_json, saved, checks.records()), None
    if action != "save":
        raise WidgetInvalid("bad_widget")
    models, _keys = lesson_widgets(notebook_json)
    model_id = data.get("model_id")
    changes = _changes(models, model_id, data.get("state"))
    echo: dict[str, Any] = {}
    if "response" in changes:
        echo = check(notebook_json, checks, model_id, changes["response"])
    kept = {k: v for k, v in changes.items() if k != "response"}
    if not kept:
        return {"state": echo}, None
    mine = {k: v for k, v in (saved.get(model_id) or {}).items() if k in LEARNER_TRAITS}
    mine.update(kept)
    return {"state": echo}, {**saved, model_id: mine}
