"""Reading notebooks safely and classifying their cells the nbgrader way.

Cell roles follow nbgrader's metadata schema (``metadata.nbgrader``: ``grade``,
``solution``, ``locked``, ``task``, ``grade_id``, ``points``); the predicates
are nbgrader's own (``nbgrader.utils``), so a notebook made with nbgrader's
Create Assignment toolbar means the same thing here.
"""

from __future__ import annotations

import hashlib
import json
from enum import Enum
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

from .errors import NotebookError

MAX_NOTEBOOK_BYTES = 16 * 1024 * 1024
HIDDEN_TESTS_MARKER = "BEGIN HIDDEN TESTS"


class NotebookTooLarge(NotebookError):
    """The notebook is bigger than the grader accepts."""


class Role(Enum):
    """What a cell is for, in grading terms."""

    TEST = "test"  # autograded test: instructor code, points
    ANSWER = "answer"  # student code graded by tests
    MANUAL = "manual"  # answer graded by hand (written or code), points
    TASK = "task"  # task description graded by hand, points
    LOCKED = "locked"  # read-only instructor cell
    PLAIN = "plain"  # no nbgrader metadata


def read_notebook(source: Any, *, max_bytes: int = MAX_NOTEBOOK_BYTES) -> NotebookNode:
    """Parse a notebook from a path, JSON text, bytes, dict or NotebookNode.

    Raises ``NotebookError`` naming what is wrong: not JSON, not a notebook,
    too large, or an nbformat version that cannot be upgraded to v4.
    """
    if isinstance(source, NotebookNode):
        return source
    if isinstance(source, dict):  # checked and normalised like text (sources may be lists of lines)
        source = json.dumps(source)
    if isinstance(source, Path):
        try:
            size = source.stat().st_size
        except OSError as error:
            raise NotebookError(f"{source}: cannot read the notebook ({error.strerror})") from error
        if size > max_bytes:
            raise NotebookTooLarge(f"{source}: {size} bytes is over the limit of {max_bytes} bytes")
        source = source.read_bytes()
    if isinstance(source, str):
        source = source.encode("utf-8", "surrogatepass")
    if not isinstance(source, bytes):
        raise NotebookError(f"cannot read a notebook from {type(source).__name__}")
    if len(source) > max_bytes:
        raise NotebookTooLarge(f"the notebook is {len(source)} bytes, over the limit of {max_bytes} bytes")
    try:
        data = json.loads(source)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise NotebookError(f"the file is not a notebook: it is not valid JSON ({error})") from error
    except RecursionError as error:
        raise NotebookError("the file is not a notebook: its JSON is nested too deeply") from error
    if not isinstance(data, dict) or not isinstance(data.get("cells", data.get("worksheets")), list):
        raise NotebookError("the file is not a notebook: it has no list of cells")
    try:
        notebook = _as_v4(data)
        _repair(notebook)
        _check_schema(notebook)
        for cell in notebook.cells:
            _check_cell(cell)
    except NotebookError:
        raise
    except Exception as error:
        raise NotebookError(f"the file is not a usable notebook: {error}") from error
    return notebook


def _as_v4(data: dict[str, Any]) -> NotebookNode:
    """``data`` as an nbformat-4 notebook, read as ``nbformat.read(..., as_version=4)`` reads it:
    older formats (v1 to v3, whose sources are lists of lines and whose cells sit in
    worksheets) through their own readers first, then upgraded."""
    from nbformat import versions
    from nbformat.reader import get_version

    major, minor = get_version(data)
    if major == 4:
        current: NotebookNode = nbformat.from_dict(data)
        return current
    if major not in versions:
        raise NotebookError(f"the notebook is in nbformat {major!r}, which nbformat cannot read")
    try:
        old = versions[major].to_notebook_json(data, minor=minor)
    except (AttributeError, KeyError) as error:
        raise NotebookError(f"the notebook in nbformat {major} lacks what that format needs: {error}") from None
    upgraded: NotebookNode = nbformat.convert(old, 4)
    return upgraded


def _repair(notebook: NotebookNode) -> None:
    """Put back what editors commonly drop and nothing depends on (empty metadata, outputs)."""
    from nbformat.corpus.words import generate_corpus_id

    if not isinstance(notebook.get("metadata"), dict):
        notebook["metadata"] = NotebookNode()
    wants_ids = notebook.get("nbformat") == 4 and notebook.get("nbformat_minor", 0) >= 5
    for cell in notebook.get("cells", []):
        if not isinstance(cell, dict):
            continue
        if wants_ids and "id" not in cell:
            cell["id"] = generate_corpus_id()
        if not isinstance(cell.get("metadata"), dict):
            cell["metadata"] = NotebookNode()
        if cell.get("cell_type") == "code":
            cell.setdefault("outputs", [])
            cell.setdefault("execution_count", None)
        elif cell.get("cell_type") in ("markdown", "raw"):
            cell.pop("outputs", None)
            cell.pop("execution_count", None)


def _check_schema(notebook: NotebookNode) -> None:
    """Refuse a notebook that breaks the nbformat schema, naming the first place it does."""
    from nbformat.validator import NotebookValidationError, ValidationError, validate

    try:
        validate(notebook)
    except (NotebookValidationError, ValidationError) as error:
        where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.absolute_path)
        detail = error.message if len(error.message) <= 200 else error.message[:200] + "…"
        raise NotebookError(
            f"the notebook does not follow the nbformat schema at {where.lstrip('.') or 'the top level'}: "
            f"{detail}; open and save it again in Jupyter"
        ) from None


def _check_cell(cell: Any) -> None:
    if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
        raise NotebookError("the notebook has a cell that is not code, markdown or raw")
    source = cell.get("source", "")
    if isinstance(source, list):
        cell["source"] = "".join(str(part) for part in source)
    elif not isinstance(source, str):
        raise NotebookError("the notebook has a cell whose source is not text")
    if not isinstance(cell.get("metadata", {}), dict):
        cell["metadata"] = NotebookNode()
    cell.setdefault("metadata", NotebookNode())
    if "nbgrader" in cell["metadata"] and not isinstance(cell["metadata"]["nbgrader"], dict):
        del cell["metadata"]["nbgrader"]  # null included: the cell is a plain one


def nbgrader_meta(cell: dict[str, Any]) -> dict[str, Any]:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def grade_id(cell: dict[str, Any]) -> str | None:
    value = nbgrader_meta(cell).get("grade_id")
    return value if isinstance(value, str) and value else None


def points(cell: dict[str, Any]) -> float:
    try:
        return float(nbgrader_meta(cell).get("points", 0) or 0)
    except (TypeError, ValueError):
        return 0.0


def role(cell: dict[str, Any]) -> Role:
    meta = nbgrader_meta(cell)
    grade, solution = bool(meta.get("grade")), bool(meta.get("solution"))
    if meta.get("task"):
        return Role.TASK
    if grade and solution:
        return Role.MANUAL
    if grade and cell.get("cell_type") == "code":
        return Role.TEST
    if solution:
        return Role.ANSWER
    if meta.get("locked") or grade:
        return Role.LOCKED
    return Role.PLAIN


def counts_toward_score(cell: dict[str, Any]) -> bool:
    """nbgrader's rule for the maximum score: grade cells (autograded or manual) and task cells."""
    meta = nbgrader_meta(cell)
    return bool(meta.get("grade") or meta.get("task"))


def max_score(notebook: NotebookNode) -> float:
    """The notebook's maximum score as nbgrader reports it, manually graded points included."""
    return sum(points(cell) for cell in notebook.cells if counts_toward_score(cell))


def has_hidden_tests(cell: dict[str, Any]) -> bool:
    return HIDDEN_TESTS_MARKER in cell.get("source", "")


def hidden_line_numbers(source: str) -> frozenset[int]:
    """The 1-based lines of ``source`` that nbgrader removes from the student version.

    As nbgrader's ``ClearHiddenTests``: from a line holding BEGIN HIDDEN TESTS to the line
    holding END HIDDEN TESTS, both included; an unclosed region runs to the end.
    """
    hidden: set[int] = set()
    inside = False
    for number, line in enumerate(source.splitlines(), start=1):
        if HIDDEN_TESTS_MARKER in line:
            inside = True
        if inside:
            hidden.add(number)
        if "END HIDDEN TESTS" in line:
            inside = False
    return frozenset(hidden)


PYTHON_KERNELS = frozenset({"python", "python3"})


def kernel_name(notebook: NotebookNode) -> str | None:
    """The kernel the notebook asks for, or None when it names none."""
    spec = notebook.get("metadata", {}).get("kernelspec")
    name = spec.get("name") if isinstance(spec, dict) else None
    return name if isinstance(name, str) and name else None


def foreign_kernel(notebook: NotebookNode) -> str | None:
    """The kernel ``notebook`` asks for when it is not a Python one, else None.

    A kernel named ``python``/``python3``, or whose kernelspec says its language is Python,
    is Python; so is a notebook that names no kernel.
    """
    kernel = kernel_name(notebook)
    if kernel is None or kernel in PYTHON_KERNELS:
        return None
    spec = notebook.metadata.get("kernelspec", {})
    if str(spec.get("language", "")).lower() == "python":
        return None
    return kernel


def check_python_kernel(notebook: NotebookNode, name: str) -> None:
    """Refuse a notebook written for another language: the sandbox runs Python, as nbgrader's kernel would."""
    kernel = foreign_kernel(notebook)
    if kernel is None:
        return
    raise NotebookError(
        f"{name} asks for the Jupyter kernel {kernel!r}; Sabaq grades Python notebooks only "
        f"(nbgrader would fail with 'No such kernel'); save it with a Python 3 kernel"
    )


def normalized(source: str) -> str:
    """Source with trailing spaces and blank lines removed, for matching cells."""
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


def notebook_checksum(notebook: NotebookNode) -> str:
    """SHA-256 over what grading depends on: every cell's type, source and nbgrader metadata."""
    digest = hashlib.sha256()
    for cell in notebook.cells:
        meta = {k: v for k, v in nbgrader_meta(cell).items() if k != "checksum"}
        record = [cell.cell_type, cell.source, meta]
        digest.update(json.dumps(record, sort_keys=True).encode())
    return digest.hexdigest()
