"""Answer keys: which widget models carry one, and splitting them off a notebook.

Every Sabaq quiz widget's model state has ``kind`` (one of ``KINDS``) and one key trait,
``key`` (a dict); nothing else in the state reveals the answer (see widgets/README.md for
the shapes). ``strip_keys`` splits a notebook into the student version and the keys, for
the course build, the grader and the LMS block alike. Standard library only.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from .errors import NotebookFormatError

WIDGET_STATE_MIME = "application/vnd.jupyter.widget-state+json"
"""Where a notebook keeps its saved widget state (``metadata.widgets``)."""
VIEW_MIME = "application/vnd.jupyter.widget-view+json"
"""The output type that displays one widget model (``{"model_id": ...}``)."""
KINDS = ("multiple_choice", "numeric", "short_answer")
"""Widget kinds that carry an answer key (ParameterExplorer has none)."""


def widget_states(notebook: Mapping[str, Any]) -> dict[str, Any]:
    """Return the notebook's ``{model_id: {"model_name", "model_module", "state", ...}}`` map.

    An empty dict when the notebook has no saved widget state.
    """
    if not isinstance(notebook, Mapping) or not isinstance(notebook.get("cells"), list):
        raise NotebookFormatError("expected an nbformat v4 notebook (a JSON object with 'cells')")
    widgets = notebook.get("metadata", {}).get("widgets", {})
    state = widgets.get(WIDGET_STATE_MIME, {}).get("state", {}) if isinstance(widgets, Mapping) else {}
    if not isinstance(state, dict):
        raise NotebookFormatError(f"metadata.widgets[{WIDGET_STATE_MIME!r}].state must be an object")
    return state


def is_keyed_model(model: Mapping[str, Any]) -> bool:
    """True for the model state of a Sabaq quiz widget (one that has an answer key)."""
    state = model.get("state") if isinstance(model, Mapping) else None
    return (
        isinstance(state, Mapping)
        and model.get("model_module") == "anywidget"
        and state.get("kind") in KINDS
        and "key" in state
    )


def strip_keys(notebook: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Split a notebook into its student version and its answer keys.

    Returns ``(student_notebook, keys)``: a deep copy of ``notebook`` whose quiz widgets
    have ``key`` emptied and ``response``, ``attempts`` and ``result`` reset, and
    ``{model_id: {"kind": ..., "key": ...}}`` for server-side scoring. Cells that display a
    quiz widget get their source replaced by ``STRIPPED_SOURCE`` (the code that builds a
    question spells out its answer).
    Answers computed in *other* cells cannot be recognised: build each question in the
    cell that displays it. The input is not modified. Running it twice is harmless.
    """
    student = copy.deepcopy(dict(notebook))
    keys: dict[str, dict[str, Any]] = {}
    keyed: set[str] = set()
    for model_id, model in widget_states(student).items():
        if not is_keyed_model(model):
            continue
        keyed.add(model_id)
        state = model["state"]
        if state["key"]:
            keys[model_id] = {"kind": state["kind"], "key": state["key"]}
        state["key"] = {}
        # The lecturer may have answered while writing; learners start afresh.
        state.update(response={}, attempts=0, result={})
    _scrub_outputs(student, keyed)
    return student, keys


STRIPPED_SOURCE = "# A Sabaq question: its answer key is kept on the server.\n"


def _scrub_outputs(notebook: dict[str, Any], keyed: set[str]) -> None:
    """Hide what else could reveal a key in the cells that display keyed widgets.

    The code that builds a question holds its answer, so that cell's source is replaced
    (and marked hidden); the plain-text fallback of the output is replaced too.
    """
    for cell in notebook["cells"]:
        shows_key = False
        for output in cell.get("outputs", []) if isinstance(cell, dict) else []:
            data = output.get("data") if isinstance(output, dict) else None
            if not isinstance(data, dict):
                continue
            view = data.get(VIEW_MIME)
            if isinstance(view, Mapping) and isinstance(view.get("model_id"), str) and view["model_id"] in keyed:
                data["text/plain"] = "Sabaq question widget"
                shows_key = True
        if shows_key:
            cell["source"] = STRIPPED_SOURCE
            metadata = cell.setdefault("metadata", {})
            metadata.setdefault("jupyter", {})["source_hidden"] = True
            metadata["sabaq"] = {**metadata.get("sabaq", {}), "key_stripped": True}
