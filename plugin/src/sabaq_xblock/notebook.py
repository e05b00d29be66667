"""Reading notebooks as plain JSON, without nbformat or Jupyter.

The block only needs a few facts about a notebook: its cells, their nbgrader
metadata and the answer cells a student fills in. Everything here works on
the JSON dictionaries of nbformat 4.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from sabaq_contract.widgets.keys import WIDGET_STATE_MIME

from .errors import AnswersInvalid, NotebookInvalid

Notebook = dict[str, Any]
Cell = dict[str, Any]

MAX_NOTEBOOK_BYTES = 5 * 1024 * 1024
MAX_ANSWER_BYTES = 1024 * 1024

_SOLUTION_REGION = re.compile(
    r"^[ \t]*### BEGIN SOLUTION.*?^[ \t]*### END SOLUTION[^\n]*\n?", re.S | re.M
)
_HIDDEN_REGION = re.compile(
    r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[^\n]*\n?", re.S | re.M
)


@dataclass(frozen=True)
class AnswerCell:
    """A cell the student writes: an nbgrader solution cell."""

    grade_id: str
    cell_type: str
    starter: str


def load(data: str | bytes | Notebook) -> Notebook:
    """Parse ``data`` as an nbformat-4 notebook, raising :class:`NotebookInvalid`.

    Beyond the cells, the parts of the nbformat-4 schema the block reads are checked for
    their JSON types (:func:`_check_shape`), so a notebook that only looks like one (an
    imported course's, a learner's upload) is refused here, with where it breaks the
    schema, rather than failing later in a view.
    """
    if isinstance(data, dict):
        nb = data
    else:
        if len(data) > MAX_NOTEBOOK_BYTES:
            raise NotebookInvalid("too_large")
        try:
            nb = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise NotebookInvalid("not_json") from exc
    if not isinstance(nb, dict):
        raise NotebookInvalid("no_cells")
    if nb.get("nbformat") != 4:  # before the cells: v3's sit in worksheets
        raise NotebookInvalid("not_v4")
    if not isinstance(nb.get("cells"), list):
        raise NotebookInvalid("no_cells")
    for cell in nb["cells"]:
        if not isinstance(cell, dict) or cell.get("cell_type") not in (
            "markdown",
            "code",
            "raw",
        ):
            raise NotebookInvalid("bad_cell")
    _check_shape(nb)
    return nb


def _lines(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(x, str) for x in value)


def _text_or_lines(value: Any) -> bool:
    return isinstance(value, str) or _lines(value)


def _objects(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(x, dict) for x in value)


def _dicts(value: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(x, dict) for x in value.values())


_IS_DICT = (lambda value: isinstance(value, dict), "an object")
# (key, test, what the schema wants) for each part of the notebook the block reads; a key
# that is absent passes (what is required is checked above, or has a default)
_NOTEBOOK_METADATA = (("kernelspec", *_IS_DICT), ("language_info", *_IS_DICT), ("widgets", *_IS_DICT))
_CELL = (("source", _text_or_lines, "text or a list of lines"), ("metadata", *_IS_DICT),
         ("attachments", _dicts, "an object of objects"), ("outputs", _objects, "a list of objects"))
_CELL_METADATA = (("nbgrader", *_IS_DICT), ("jupyter", *_IS_DICT), ("sabaq", *_IS_DICT))
_OUTPUT = (("output_type", lambda value: isinstance(value, str), "text"), ("data", *_IS_DICT),
           ("metadata", *_IS_DICT), ("text", _text_or_lines, "text or a list of lines"),
           ("traceback", _lines, "a list of lines"))


def _check_parts(owner: dict[str, Any], parts: Any, where: str) -> None:
    for key, test, wanted in parts:
        if key in owner and not test(owner[key]):
            raise NotebookInvalid("bad_structure", f"{where}.{key} must be {wanted}", where=f"{where}.{key}")


def _check_shape(nb: Notebook) -> None:
    """Refuse ``nb`` where a part the block reads has the wrong JSON type (see :func:`load`)."""
    if "metadata" in nb and not isinstance(nb["metadata"], dict):
        raise NotebookInvalid("bad_structure", "metadata must be an object", where="metadata")
    metadata = nb.get("metadata") or {}
    _check_parts(metadata, _NOTEBOOK_METADATA, "metadata")
    widgets = metadata.get("widgets") or {}
    _check_parts(widgets, ((WIDGET_STATE_MIME, *_IS_DICT),), "metadata.widgets")
    _check_parts(widgets.get(WIDGET_STATE_MIME) or {}, (("state", _dicts, "an object of objects"),),
                 f"metadata.widgets.{WIDGET_STATE_MIME}")
    for index, cell in enumerate(nb["cells"]):
        where = f"cells[{index}]"
        _check_parts(cell, _CELL, where)
        _check_parts(cell.get("metadata") or {}, _CELL_METADATA, f"{where}.metadata")
        for name, bundle in (cell.get("attachments") or {}).items():
            _check_bundle(bundle, f"{where}.attachments.{name}")
        for number, output in enumerate(cell.get("outputs") or []):
            _check_parts(output, _OUTPUT, f"{where}.outputs[{number}]")
            _check_bundle(output.get("data") or {}, f"{where}.outputs[{number}].data")


def _check_bundle(bundle: dict[str, Any], where: str) -> None:
    """A MIME bundle: text or lines under every type but JSON ones (``*json``), which hold any JSON."""
    for mime, value in bundle.items():
        if not mime.endswith("json") and not _text_or_lines(value):
            raise NotebookInvalid("bad_structure", f"{where}.{mime} must be text or a list of lines",
                                  where=f"{where}.{mime}")


def dumps(nb: Notebook) -> str:
    """Serialise ``nb`` as stable JSON that never contains ``]]>`` (so it fits in CDATA)."""
    text = json.dumps(nb, ensure_ascii=False, sort_keys=True, indent=1)
    return text.replace("]]>", "]]\\u003e")


def source(cell: Cell) -> str:
    """The source of ``cell`` as one string (nbformat allows a list of lines)."""
    src = cell.get("source", "")
    if isinstance(src, list):
        return "".join(str(part) for part in src)
    return str(src)


def nbgrader(cell: Cell) -> dict[str, Any]:
    """The nbgrader metadata of ``cell`` (empty when it has none)."""
    meta = cell.get("metadata")
    if not isinstance(meta, dict):
        return {}
    value = meta.get("nbgrader")
    return value if isinstance(value, dict) else {}


def answer_cells(nb: Notebook) -> list[AnswerCell]:
    """The solution cells of ``nb``, in notebook order."""
    cells = []
    for cell in nb.get("cells", []):
        meta = nbgrader(cell)
        grade_id = meta.get("grade_id")
        if meta.get("solution") and isinstance(grade_id, str) and grade_id:
            cells.append(AnswerCell(grade_id, str(cell.get("cell_type")), source(cell)))
    return cells


def strip_protected(text: str) -> str:
    """Remove any solution or hidden-test region left in ``text`` (defence in depth)."""
    return _HIDDEN_REGION.sub("", _SOLUTION_REGION.sub("", text))


def fill_answers(student_nb: Notebook, answers: dict[str, str]) -> Notebook:
    """A copy of ``student_nb`` whose solution cells hold ``answers`` (by grade id)."""
    nb: Notebook = json.loads(json.dumps(student_nb))
    for cell in nb["cells"]:
        grade_id = nbgrader(cell).get("grade_id")
        if nbgrader(cell).get("solution") and grade_id in answers:
            cell["source"] = answers[grade_id]
            if cell.get("cell_type") == "code":
                cell["outputs"] = []
                cell["execution_count"] = None
    return nb


def content_hash(text: str) -> str:
    """SHA-256 of ``text``: the key of everything cached about a notebook."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def answered(student_nb: Notebook, answers: Any) -> Notebook:
    """``student_nb`` with ``answers`` ({grade_id: source}) checked and filled in."""
    if not isinstance(answers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in answers.items()
    ):
        raise AnswersInvalid("bad_answers")
    if not answers:
        raise AnswersInvalid("no_answers")
    if set(answers) - {cell.grade_id for cell in answer_cells(student_nb)}:
        raise AnswersInvalid("unknown_cell")
    if sum(len(v.encode("utf-8")) for v in answers.values()) > MAX_ANSWER_BYTES:
        raise AnswersInvalid("too_large")
    return fill_answers(student_nb, answers)


def max_points(nb: Notebook) -> float:
    """The notebook's maximum score as nbgrader counts it: grade cells (autograded or by hand) and tasks."""
    total = 0.0
    for cell in nb.get("cells", []):
        meta = nbgrader(cell)
        if meta.get("grade") or meta.get("task"):
            try:
                total += float(meta.get("points", 0) or 0)
            except (TypeError, ValueError):
                continue
    return total
