"""Trivial stand-ins for every answer, to find tests that do not check anything.

``sabaq validate`` grades the reference solution with each answer cell rewritten:
imports stay, every function, class and assigned name becomes a stand-in. A test
that passes for functions returning ``None`` checks nothing about the answer; one
that passes for an object equal to everything only compares with ``==``.
"""

from __future__ import annotations

import ast
import copy
from dataclasses import dataclass

from nbformat import NotebookNode

from .findings import Severity
from .notebook import Role, role

ANYTHING = '''
class _SabaqAnything:
    """Stands in for any answer: equal to everything, never raising on comparison."""
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __lt__(self, other): return True
    __le__ = __gt__ = __ge__ = __lt__
    def __bool__(self): return True
    def __hash__(self): return 0
    def __call__(self, *args, **kwargs): return self
    def __getattr__(self, name): return self
    def __getitem__(self, key): return self
    def __len__(self): return 1
    def __iter__(self): return iter([self])
    def __float__(self): return 0.0
    def __int__(self): return 0
    def __abs__(self): return self
    def __sub__(self, other): return self
    __add__ = __radd__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = __pow__ = __sub__
'''


_LITERAL_TYPES: dict[type[ast.expr], str] = {ast.List: "list", ast.Tuple: "tuple", ast.Dict: "dict", ast.Set: "set"}


def _literal_type(node: ast.expr) -> str | None:
    """The type an ``isinstance`` check would name for a literal (numbers: int or float)."""
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool):
            return "bool"
        if isinstance(value, int | float):
            return "(int, float)"
        return "str" if isinstance(value, str) else None
    return _LITERAL_TYPES.get(type(node))


def type_check_example(test_source: str) -> str | None:
    """An ``isinstance`` assert for the first ``answer == literal`` comparison in a test's source."""
    try:
        tree = ast.parse(test_source)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.Eq):
            for value, literal in ((node.left, node.comparators[0]), (node.comparators[0], node.left)):
                kind = _literal_type(literal)
                if kind and not _literal_type(value):
                    return f"assert isinstance({ast.unparse(value)}, {kind})"
    return None


@dataclass(frozen=True)
class StandIn:
    """One kind of trivial answer and what it means when a test passes for it."""

    kind: str
    value: str  # the expression every answer name becomes
    description: str  # "every answer is <description>"
    severity: Severity
    hint: str
    prelude: str = ""  # code defining ``value``, put before the first answer cell
    type_check: bool = False  # an isinstance check in the test would fail this stand-in

    def fix(self, test_source: str) -> str:
        """The hint, with an example drawn from the test when a type check would help."""
        example = type_check_example(test_source) if self.type_check else None
        return f"{self.hint}, e.g. `{example}`" if example else self.hint


STAND_INS: tuple[StandIn, ...] = (
    StandIn(
        "none",
        "None",
        "a function returning None",
        "error",
        "make the test check the answer's value, not only that the code runs (e.g. assert f(2) == 4)",
    ),
    StandIn(
        "anything",
        "_SabaqAnything()",
        "an object that equals everything",
        "note",
        "add an isinstance or type check so a value that merely claims equality fails",
        ANYTHING,
        type_check=True,
    ),
)


class _Rewriter(ast.NodeTransformer):
    """Rewrites an answer: imports stay, functions and values become the stand-in."""

    def __init__(self, value: str) -> None:
        self.value = value

    def rewrite(self, source: str) -> str:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            return source
        lines = []
        for node in tree.body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                lines.append(ast.unparse(node))
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                lines.append(f"def {node.name}(*args, **kwargs):\n    return {self.value}")
            elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    for name in ast.walk(target):
                        if isinstance(name, ast.Name):
                            lines.append(f"{name.id} = {self.value}")
        return "\n".join(lines) or "pass"


def has_code_answers(notebook: NotebookNode) -> bool:
    """Whether any answer is code (only code answers can be replaced by a stand-in)."""
    return any(role(cell) in (Role.ANSWER, Role.MANUAL) and cell.cell_type == "code" for cell in notebook.cells)


def stand_in_notebook(instructor: NotebookNode, stand_in: StandIn) -> NotebookNode:
    """The reference solution with every code answer cell replaced by ``stand_in``."""
    rewriter = _Rewriter(stand_in.value)
    notebook = copy.deepcopy(instructor)
    prelude = stand_in.prelude
    for cell in notebook.cells:
        if role(cell) in (Role.ANSWER, Role.MANUAL) and cell.cell_type == "code":
            cell.source = prelude + rewriter.rewrite(cell.source)
            prelude = ""
    return notebook
