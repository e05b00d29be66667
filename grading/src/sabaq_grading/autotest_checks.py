"""The ``### AUTOTEST`` checks of ``sabaq validate`` that need no kernel.

``nbgrader generate_assignment`` refuses AUTOTEST lines outside autograded test cells and
needs an ``autotests.yml`` (found where ``autotest.search_path`` looks) that serves the
notebook's kernel; these checks say so before a kernel is started to expand the lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from nbformat import NotebookNode

from .autotest import DELIMITER, FILENAME, find_autotests, search_path
from .findings import Findings, cell_name
from .notebook import Role, grade_id, role


@lru_cache(maxsize=1)
def _autotest_rules() -> tuple[str, dict[str, str]]:
    """nbgrader's HASHED marker and the comment marker of each kernel it can expand AUTOTEST lines for."""
    from nbgrader.preprocessors import InstantiateTests

    tests = InstantiateTests()
    return tests.hashed_delimiter, dict(tests.comment_strs)


def _kernel(notebook: NotebookNode) -> str:
    return str((notebook.metadata.get("kernelspec") or {}).get("name", ""))


def _autotest_lines(cell: NotebookNode, comment: str) -> list[str]:
    """The lines nbgrader expands: comments holding the AUTOTEST delimiter, in code cells."""
    if cell.cell_type != "code" or DELIMITER not in cell.source:
        return []
    return [line for line in cell.source.split("\n") if DELIMITER in line and line.strip().startswith(comment)]


def _mentions_autotest(cell: NotebookNode) -> bool:
    """nbgrader's trigger for expanding a notebook: a code cell that mentions the delimiter at all."""
    return bool(cell.cell_type == "code" and DELIMITER in cell.source)


def autotest_cells(notebook: NotebookNode) -> list[str]:
    """Names of the cells that make nbgrader expand AUTOTEST lines."""
    return [cell_name(cell, index) for index, cell in enumerate(notebook.cells) if _mentions_autotest(cell)]


def autotest_ids(notebook: NotebookNode) -> set[str]:
    """Grade ids of the test cells that use ``### AUTOTEST`` or ``### HASHED AUTOTEST`` lines."""
    comment = _autotest_rules()[1].get(_kernel(notebook), "#")
    return {
        gid
        for cell in notebook.cells
        if role(cell) is Role.TEST and (gid := grade_id(cell)) and _autotest_lines(cell, comment)
    }


def _autotest_template(
    name: str, kernel: str, hashed: bool, found: Findings, folder: Path | None, files: Mapping[str, bytes]
) -> None:
    """The autotests.yml nbgrader would expand the lines with must exist and serve the kernel."""
    import yaml

    if FILENAME in files:
        text: bytes | str = files[FILENAME]
        where = f"the data file {FILENAME}"
    else:
        path = find_autotests(folder)
        if path is None:
            looked = ", ".join(str(place) for place in search_path(folder))
            found.error(
                name,
                f"AUTOTEST lines need {FILENAME}, and there is none (looked in {looked})",
                f"put {FILENAME} beside the notebook or in the course root (nbgrader's documentation has one)",
            )
            return
        text, where = path.read_bytes(), str(path)
    try:
        templates = yaml.safe_load(text)
    except yaml.YAMLError as error:
        found.error(name, f"AUTOTEST templates in {where} are not valid YAML ({error})", f"fix the YAML of {FILENAME}")
        return
    section = templates.get(kernel) if isinstance(templates, dict) else None
    needed = ["templates", "dispatch", "normalize", "check"] + (["hash"] if hashed else [])  # nbgrader reads these
    missing = needed if not isinstance(section, dict) else [key for key in needed if not section.get(key)]
    if missing:
        found.error(
            name,
            f"AUTOTEST templates in {where} have no {', '.join(missing)} for the kernel {kernel!r}",
            f"add them under `{kernel}:` in {FILENAME} (see nbgrader's documentation)",
        )


def autotest_problems(notebook: NotebookNode, found: Findings, folder: Path | None, files: Mapping[str, bytes]) -> None:
    """Add the problems of the notebook's AUTOTEST lines to ``found``."""
    hashed_marker, comments = _autotest_rules()
    triggering = [(index, cell) for index, cell in enumerate(notebook.cells) if _mentions_autotest(cell)]
    if not triggering:
        return
    first = cell_name(triggering[0][1], triggering[0][0])
    kernel = _kernel(notebook)
    comment = comments.get(kernel)
    if comment is None:
        found.error(
            first,
            f"AUTOTEST: nbgrader cannot expand AUTOTEST lines for the kernel {kernel!r}",
            f"use a kernel nbgrader knows ({', '.join(sorted(comments))}) or write the tests out",
        )
        return
    hashed = False
    for index, cell in triggering:
        lines = _autotest_lines(cell, comment)
        if lines and role(cell) is not Role.TEST:
            found.error(
                cell_name(cell, index),
                "an AUTOTEST line is outside an autograded test cell (nbgrader refuses it)",
                "move the AUTOTEST lines into an autograded test cell",
            )
        hashed = hashed or any(hashed_marker in line[: line.find(DELIMITER)] for line in lines)
    _autotest_template(first, kernel, hashed, found, folder, files)
