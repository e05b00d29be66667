"""Executed lessons: the outputs and widget state an LMS page shows.

Lessons are committed without outputs; their pages need the plots, tables and
widget state that running them produces. Running happens at build time, in a
real Jupyter kernel (the lecturer's own material, not student code), with the
lesson's folder as working directory; results are cached by the notebook's
content, so a rebuild only re-runs lessons that changed.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from .errors import NotebookError

EXECUTION_TIMEOUT = 300


def execute_lesson(path: Path, *, cache_dir: Path | None = None, timeout: int = EXECUTION_TIMEOUT) -> dict[str, Any]:
    """The lesson at ``path`` with outputs and widget state (answer keys still inside)."""
    text = path.read_bytes()
    digest = hashlib.sha256(text + str(path.parent.resolve()).encode()).hexdigest()
    cached = cache_dir / f"{digest}.ipynb" if cache_dir else None
    if cached is not None and cached.is_file():
        loaded: dict[str, Any] = json.loads(cached.read_text("utf-8"))
        return loaded
    from sabaq_widgets.state import execute_notebook

    try:
        executed = execute_notebook(path, timeout=timeout, cwd=path.parent)
    except Exception as error:  # nbclient's CellExecutionError carries the cell and traceback
        raise NotebookError(f"{path}: the lesson fails to run: {str(error)[-2000:]}") from error
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        temporary = cached.with_suffix(".tmp")
        temporary.write_text(json.dumps(executed, ensure_ascii=False), "utf-8")
        temporary.replace(cached)
    return executed
