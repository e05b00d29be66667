"""The student version the XBlock shows: nbgrader's release plus the lesson's outputs.

``sabaq_grading.release.student_notebook`` clears every output and drops widget
state, which is right for the notebook a student downloads to work on, but a
lesson page also needs the instructor's outputs of ordinary (non-nbgrader)
cells: plots, tables, widget views. Those are copied back (the release keeps
the cell sequence one to one), and the widget state comes back with its answer
keys stripped by ``sabaq_contract.widgets.keys.strip_keys``. A cell that shows a quiz
keeps its output but loses its source, which states the answer key.
"""

from __future__ import annotations

import json
from typing import Any

VIEW_MIME = "application/vnd.jupyter.widget-view+json"


def _nbgrader(cell: dict[str, Any]) -> dict[str, Any]:
    meta = cell.get("metadata") or {}
    value = meta.get("nbgrader") if isinstance(meta, dict) else None
    return value if isinstance(value, dict) else {}


def _shown_models(cell: dict[str, Any]) -> set[str]:
    outputs = [o for o in cell.get("outputs") or [] if isinstance(o, dict)]
    views = (o["data"].get(VIEW_MIME) for o in outputs if isinstance(o.get("data"), dict))
    return {v["model_id"] for v in views if isinstance(v, dict) and isinstance(v.get("model_id"), str)}


def page_notebook(instructor: dict[str, Any]) -> dict[str, Any]:
    """The student notebook for the lesson page (no solutions, hidden tests or keys)."""
    from sabaq_grading.release import student_notebook

    # nbformat normalises list-of-lines sources when it reads JSON text.
    released: dict[str, Any] = json.loads(json.dumps(student_notebook(json.dumps(instructor))))
    try:
        from sabaq_contract.widgets.keys import strip_keys

        keyless, keys = strip_keys(instructor)
    except ImportError:  # no widgets package: no widget state on the page
        keyless, keys = {"cells": instructor.get("cells", []), "metadata": {}}, {}
    source_cells = keyless.get("cells", [])
    if len(source_cells) == len(released["cells"]):
        for ours, theirs in zip(released["cells"], source_cells, strict=True):
            if ours.get("cell_type") == "code" and not _nbgrader(theirs):
                ours["outputs"] = json.loads(json.dumps(theirs.get("outputs", [])))
                if _shown_models(ours) & set(keys):
                    ours["source"] = ""
    widgets = (keyless.get("metadata") or {}).get("widgets")
    if widgets:
        released["metadata"]["widgets"] = widgets
    return released
