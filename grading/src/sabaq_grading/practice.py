"""Practice runs: a learner's answers and the visible tests, run in the sandbox, never graded.

The notebook is the student version with the learner's answers filled in
(``sabaq_contract.tasks.PracticeRequest``). nbgrader's release already removed the hidden
tests; as a second guard, every hidden-test region still in a cell is cut out here before
anything runs, and a test cell left with no code is neither run nor named in the result, so
even an instructor notebook sent by mistake reveals none of its hidden tests. The run uses the
grader's own sandboxes and limits, with the time limits cut to the practice run's ``timeout``.
The result is text only (outputs as plain text, cut to size) and carries no score.
"""

from __future__ import annotations

import dataclasses
import math
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sabaq_contract.tasks import PRACTICE_OUTPUT_CHARS

from .errors import NotebookError
from .notebook import Role, check_python_kernel, grade_id, hidden_line_numbers, read_notebook, role
from .preload import imported_packages, notebook_sources, preload_for
from .report import BLANK_ANSWER, BLANK_ERROR, STDERR_FAILURE
from .sandbox import Cell, CellResult, Executor, Limits, RunResult

PRACTICE_ENVIRONMENT = {"NBGRADER_EXECUTION": "validate"}  # as ``nbgrader validate`` runs a notebook
TIMEOUT_MESSAGE = "The cell did not finish within the time limit of a practice run."
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@dataclass(frozen=True)
class _Row:
    """A cell the result reports: an answer or a visible test."""

    cell_id: str
    grade_id: str
    kind: str  # "answer" or "test"


def without_hidden_tests(source: str) -> str:
    """``source`` without its hidden-test regions (nbgrader's ``ClearHiddenTests`` rule)."""
    hidden = hidden_line_numbers(source)
    if not hidden:
        return source
    return "".join(line for number, line in enumerate(source.splitlines(keepends=True), start=1)
                   if number not in hidden)


def has_code(source: str) -> bool:
    """Whether ``source`` has a line that is neither blank nor a comment."""
    return any(line.strip() and not line.strip().startswith("#") for line in source.splitlines())


def plan_practice(notebook: Any) -> tuple[list[Cell], list[_Row]]:
    """The cells to run, in order, and the rows to report: answers and visible tests."""
    cells: list[Cell] = []
    rows: list[_Row] = []
    used: set[str] = set()
    for index, cell in enumerate(notebook.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        source = without_hidden_tests(str(cell.get("source", "")))
        kind, name = role(cell), grade_id(cell) or f"cell-{index}"
        cell_id = name if name not in used else f"cell-{index}"  # the sandbox's messages name it
        used.add(cell_id)
        if kind is Role.TEST:
            if not has_code(source):
                continue  # all hidden: neither run nor named
            cells.append(Cell(cell_id, source, "test"))
            rows.append(_Row(cell_id, name, "test"))
        elif kind in (Role.ANSWER, Role.MANUAL):
            cells.append(Cell(cell_id, source, "code"))
            rows.append(_Row(cell_id, name, "answer"))
        else:
            cells.append(Cell(cell_id, source, "locked" if kind is Role.LOCKED else "code"))
    return cells, rows


def _cut(text: str) -> str:
    text = _ANSI.sub("", text)
    if len(text) <= PRACTICE_OUTPUT_CHARS:
        return text
    note = f"\n… ({len(text) - PRACTICE_OUTPUT_CHARS} more characters)"
    return text[: PRACTICE_OUTPUT_CHARS - len(note)] + note


def output_text(outputs: list[dict[str, Any]]) -> str:
    """A cell's outputs as plain text: streams, ``text/plain`` results and error tracebacks."""
    parts = []
    for output in outputs:
        kind = output.get("output_type")
        if kind == "stream":
            text = output.get("text", "")
            parts.append("".join(text) if isinstance(text, list) else str(text))
        elif kind in ("execute_result", "display_data"):
            plain = (output.get("data") or {}).get("text/plain", "")
            parts.append(("".join(plain) if isinstance(plain, list) else str(plain)) + "\n")
        elif kind == "error":
            trace = output.get("traceback") or [f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"]
            parts.append("\n".join(str(line).rstrip("\n") for line in trace) + "\n")
    return _cut("".join(parts))


def _message(row: _Row, result: CellResult | None, source: str, ended: str) -> tuple[str, bool | None]:
    """What a row says, and for a test whether it passed (nbgrader: no error and no stderr)."""
    status = result.status if result is not None else "not_run"
    passed: bool | None = None
    if row.kind == "test":
        wrote_stderr = result is not None and any(
            o.get("output_type") == "stream" and o.get("name") == "stderr" for o in result.outputs)
        passed = status == "ok" and not wrote_stderr
    if status == "timeout":
        return TIMEOUT_MESSAGE, passed
    if status == "not_run":
        return (f"The cell did not run: {ended}" if ended else "The cell did not run."), passed
    if status == "error" and result is not None:
        error = result.error or {}
        name, value = str(error.get("ename", "Error")), str(error.get("evalue", ""))
        if name == BLANK_ERROR:
            return BLANK_ANSWER, passed
        detail = f"{name}: {value}" if value else name
        line = error.get("test_line")
        lines = source.splitlines()
        if row.kind == "test" and isinstance(line, int) and 1 <= line <= len(lines) and lines[line - 1].strip():
            detail = f"This check failed: {lines[line - 1].strip()}\n{detail}"
        return _cut(detail), passed
    if row.kind == "test" and not passed:
        return STDERR_FAILURE, passed
    return "", passed


def _executor(grader: Any, notebook: Any) -> Executor:
    """A warm executor for the notebook's imports: one already started that preloads them,
    else any started one while one that does starts (see ``Sandboxes.executor_for_run``)."""
    wanted = preload_for(imported_packages(notebook_sources(notebook)))
    started = grader.sandboxes.started()
    base = next((s for s in started if set(wanted) <= set(s)), started[0] if started else wanted)
    if base == wanted:
        return grader.executor_for(wanted)  # type: ignore[no-any-return]
    return grader.sandboxes.executor_for_run(base, wanted)  # type: ignore[no-any-return]


def practice_limits(limits: Limits, timeout: float) -> Limits:
    """The grader's ``limits`` with the time limits cut to a practice run's ``timeout``."""
    seconds = max(0.1, float(timeout))
    return dataclasses.replace(limits, cell_timeout=min(limits.cell_timeout, seconds),
                               total_timeout=min(limits.total_timeout, seconds),
                               cpu_seconds=min(limits.cpu_seconds, max(1, math.ceil(seconds))))


def refused(message: str, started: float | None = None) -> dict[str, Any]:
    """The result of a practice run that ran nothing (``started``: its ``perf_counter`` start)."""
    spent = 0.0 if started is None else (time.perf_counter() - started) * 1000
    return {"ended": "refused", "message": _cut(message), "cells": [],
            "timings": {"total_ms": round(spent, 3), "code_ms": 0.0}}


def practice(grader: Any, notebook_text: str, files: Mapping[str, bytes] | None = None,
             timeout: float = 10.0) -> dict[str, Any]:
    """Run ``notebook_text`` (the student version with answers) once, in ``grader``'s sandboxes;
    the practice result of ``sabaq_contract.tasks.practice_result``. Never raises for a bad
    notebook: it is refused with a message, and nothing runs."""
    started = time.perf_counter()
    settings = grader.settings
    try:
        notebook = read_notebook(notebook_text, max_bytes=settings.max_notebook_bytes)
        check_python_kernel(notebook, "the notebook")
    except NotebookError as error:
        return refused(str(error), started)
    if len(notebook.get("cells", [])) > settings.max_cells:
        return refused(f"the notebook has more than {settings.max_cells} cells", started)
    cells, rows = plan_practice(notebook)
    run: RunResult = _executor(grader, notebook).run(
        cells, dict(files or {}), limits=practice_limits(settings.limits, timeout), environment=PRACTICE_ENVIRONMENT)
    results = {cell.cell_id: cell for cell in run.cells}
    sources = {cell.cell_id: cell.source for cell in cells}
    ended = "" if run.ended == "completed" else run.message
    reported = []
    for row in rows:
        result = results.get(row.cell_id)
        message, passed = _message(row, result, sources[row.cell_id], ended)
        reported.append({"grade_id": row.grade_id, "kind": row.kind,
                         "status": result.status if result is not None else "not_run", "passed": passed,
                         "message": message, "output": output_text(result.outputs) if result else ""})
    return {"ended": run.ended, "message": _cut(run.message), "cells": reported,
            "timings": {"total_ms": round((time.perf_counter() - started) * 1000, 3),
                        "code_ms": round(run.code_ms, 3)}}
