"""What a sandbox imports before it forks: the heavy libraries an assignment itself imports.

Every submission runs in a process forked from a zygote that has the preloaded libraries
imported already, so importing them costs a student nothing. But a bigger zygote costs every
submission: more pages to copy on fork and to touch, more protected module dicts to restore
and check around every test. So each assignment gets a zygote with only the heavy libraries
its instructor notebook imports (in any cell: a test that imports NumPy gets NumPy preloaded,
and protected). A submission that imports a heavy library the assignment does not is run in
a zygote that preloads both once one is ready (the first such run starts it and does not
wait: ``Sandboxes.executor_for_run``): importing NumPy in every such process costs about
100 ms of CPU each, more than the zygote's start, paid once. The libraries are the same
ones, imported the same way, so the results are the same; only the time a cell would spend
importing is not spent.
"""

from __future__ import annotations

import ast
import importlib.util
from collections.abc import Iterable, Iterator
from functools import cache
from typing import Any

# libraries whose import takes long enough to be worth preloading, in a stable order
HEAVY = ("numpy", "pandas", "matplotlib", "scipy", "sklearn", "seaborn", "sympy", "statsmodels")


def imported_packages(sources: Iterable[str]) -> frozenset[str]:
    """Top-level packages that ``import`` statements anywhere in ``sources`` name.

    IPython's magics and shell lines (``%matplotlib inline``, ``!pip ...``) are skipped; a
    cell that does not parse contributes the imports of the lines that do.
    """
    found: set[str] = set()
    for source in sources:
        if "import" not in source:  # every import statement spells the keyword: nothing to parse
            continue
        lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
        found.update(_imports("\n".join(lines)))
    return frozenset(found)


def _imports(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        names: set[str] = set()
        for line in source.splitlines():
            if line.lstrip().startswith(("import ", "from ")):
                names |= _imports(line.strip())
        return names
    names = set()
    for node in _statements(tree.body):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def _statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Every statement in ``body``, nested ones too (an import is a statement: expressions,
    most of a tree, need no visit)."""
    stack = list(reversed(body))
    while stack:
        node = stack.pop()
        yield node
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            inner = getattr(node, field, None)
            if isinstance(inner, list):
                stack.extend(reversed(inner))


def preload_for(packages: frozenset[str]) -> tuple[str, ...]:
    """The heavy, installed libraries among ``packages``, in :data:`HEAVY` order."""
    return tuple(name for name in HEAVY if name in packages and _installed(name))


@cache
def _installed(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def notebook_sources(notebook: Any) -> list[str]:
    """The source of every code cell of an nbformat notebook."""
    return [str(cell.get("source", "")) for cell in notebook.get("cells", []) if cell.get("cell_type") == "code"]
