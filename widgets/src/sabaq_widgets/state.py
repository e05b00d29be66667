"""Produce widget state: by executing a notebook, or from live widget objects.

Static rendering needs the state a kernel holds after running the notebook. nbclient
records it when ``store_widget_state`` is on (every model's full state, as sent to the
front end), and writes it to ``metadata.widgets``, where Jupyter keeps saved widget
state too.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sabaq_contract.widgets.keys import VIEW_MIME, WIDGET_STATE_MIME

from .errors import NotebookFormatError


def execute_notebook(
    notebook: Mapping[str, Any] | str | os.PathLike[str],
    *,
    timeout: int = 120,
    kernel_name: str = "python3",
    cwd: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """Run ``notebook`` in a fresh kernel and return it with outputs and widget state.

    ``notebook`` is a path or nbformat v4 JSON. ``cwd`` defaults to the notebook's folder
    (or the current one). Cell errors raise nbclient's ``CellExecutionError``.
    """
    import nbclient
    import nbformat

    if isinstance(notebook, Mapping):
        from_dict: Callable[[Any], Any] = nbformat.from_dict
        node = from_dict(json.loads(json.dumps(notebook)))
        folder = Path(cwd) if cwd else Path.cwd()
    else:
        path = Path(notebook)
        read: Callable[..., Any] = nbformat.read
        node = read(path, as_version=4)
        folder = Path(cwd) if cwd else path.parent
    client = nbclient.NotebookClient(
        node,
        timeout=timeout,
        kernel_name=kernel_name,
        store_widget_state=True,
        resources={"metadata": {"path": str(folder)}},
    )
    client.execute()
    result: dict[str, Any] = json.loads(json.dumps(node))
    return result


def notebook_from_widgets(widgets: Sequence[Any]) -> dict[str, Any]:
    """A one-cell notebook that displays ``widgets`` with their full current state.

    Lets hosts and tests render widgets built in this process (no kernel) exactly as a
    notebook that ran them would be rendered; state is taken with ``drop_defaults=False``.
    """
    from ipywidgets import Widget
    from ipywidgets.embed import dependency_state

    for widget in widgets:
        if not isinstance(widget, Widget):
            raise NotebookFormatError(f"expected ipywidgets widgets, got {type(widget).__name__}")
    state = dependency_state(list(widgets), drop_defaults=False)
    outputs = [
        {
            "output_type": "display_data",
            "data": {
                "text/plain": type(w).__name__,
                VIEW_MIME: {"version_major": 2, "version_minor": 0, "model_id": w.model_id},
            },
            "metadata": {},
        }
        for w in widgets
    ]
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "widgets": {WIDGET_STATE_MIME: {"version_major": 2, "version_minor": 0, "state": state}}
        },
        "cells": [
            {"cell_type": "code", "id": "widgets", "metadata": {}, "execution_count": 1,
             "source": "", "outputs": outputs}
        ],
    }
