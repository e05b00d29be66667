"""nbgrader's AUTOTEST cells: ``### AUTOTEST expr`` lines expanded into real tests.

nbgrader expands them when it generates the student version (its ``InstantiateTests``
preprocessor): it runs the instructor notebook in a kernel, asks the kernel for the type of
each expression, and writes the tests that ``autotests.yml`` gives for that type, with the
expected values (hashed with a salt for ``### HASHED AUTOTEST``). Sabaq runs that same
preprocessor, once per assignment, so the tests and hashes are nbgrader's own.

``autotests.yml`` is found where nbgrader finds it: beside the notebook, else in the
course root (the directory nbgrader runs in: the folder above ``source/``, the one holding
``course.toml`` or ``nbgrader_config.py``), else in the current directory.

Trust: like ``nbgrader generate_assignment``, expansion executes the *instructor's*
notebook in a Jupyter kernel outside the grading sandbox. Student code never runs here.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path

from nbformat import NotebookNode

from .errors import NotebookError

DELIMITER = "AUTOTEST"
FILENAME = "autotests.yml"
_ROOT_MARKERS = ("course.toml", "nbgrader_config.py")


class AutotestError(NotebookError):
    """AUTOTEST lines that cannot be expanded (no autotests.yml, or the expansion failed)."""


def has_autotests(notebook: NotebookNode) -> bool:
    """Whether nbgrader would expand anything in ``notebook`` (its own test: any code cell)."""
    return any(cell.cell_type == "code" and DELIMITER in cell.source for cell in notebook.cells)


def _course_roots(folder: Path) -> Iterator[Path]:
    for parent in [folder, *folder.parents]:
        if parent.name == "source" and parent != folder:
            yield parent.parent
        if any((parent / marker).is_file() for marker in _ROOT_MARKERS):
            yield parent


def search_path(folder: Path | None) -> list[Path]:
    """The directories searched for ``autotests.yml``, in order."""
    places: list[Path] = []
    if folder is not None:
        places.append(folder)
        places.extend(_course_roots(folder.resolve()))
    places.append(Path.cwd())
    unique: list[Path] = []
    for place in places:
        if place.resolve() not in [p.resolve() for p in unique]:
            unique.append(place)
    return unique


def find_autotests(folder: Path | None) -> Path | None:
    """The ``autotests.yml`` nbgrader would use for a notebook in ``folder``."""
    for place in search_path(folder):
        if (place / FILENAME).is_file():
            return place / FILENAME
    return None


def _describe(error: Exception) -> str:
    """A one-line account of an expansion error (nbclient's kernel errors' ``str`` is a list)."""
    ename, evalue = getattr(error, "ename", None), getattr(error, "evalue", None)
    if isinstance(ename, str):
        return f"the notebook's code raised {ename}: {evalue}" if evalue else f"the notebook's code raised {ename}"
    try:
        text = str(error).strip()
    except Exception:
        text = ""
    return text.splitlines()[0] if text else type(error).__name__


def expand_autotests(notebook: NotebookNode, *, folder: Path | None, name: str = "the notebook") -> NotebookNode:
    """A copy of ``notebook`` with every AUTOTEST line expanded exactly as nbgrader expands it.

    ``folder`` is where the notebook lives (its data files are read from there, as in
    nbgrader). Raises :class:`AutotestError` naming the cell or file that is wrong.
    """
    if not has_autotests(notebook):
        return notebook
    tests = find_autotests(folder)
    if tests is None:
        looked = ", ".join(str(p) for p in search_path(folder))
        raise AutotestError(
            f"{name} has AUTOTEST lines but no {FILENAME} was found (looked in {looked}); "
            f"put the {FILENAME} nbgrader uses beside the notebook or in the course root"
        )
    from nbgrader.preprocessors import InstantiateTests

    expanded: NotebookNode = copy.deepcopy(notebook)
    preprocessor = InstantiateTests(autotest_filename=str(tests.resolve()))
    workdir = str((folder or Path.cwd()).resolve())
    resources = {"metadata": {"path": workdir}}  # the kernel's working directory
    try:
        expanded = preprocessor.preprocess(expanded, resources)[0]
    except Exception as error:  # nbgrader raises bare Exception, ValueError, kernel errors
        detail = _describe(error)
        raise AutotestError(
            f"{name}: nbgrader could not expand its AUTOTEST lines with {tests} ({detail}); AUTOTEST "
            f"lines belong in autograded test cells, and the notebook must run top to bottom"
        ) from error
    return expanded
