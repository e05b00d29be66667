"""Tamper resistance for test cells: a snapshot taken in the zygote, restored before each test.

Student code runs earlier in the same interpreter, so before a test the runner puts back
what the test relies on: interpreter hooks, ``builtins``, the ``__dict__`` of protected
modules (and the code, defaults and closures of their functions, and the attributes of their
classes), their ``sys.modules`` entries, and module names the namespace once bound to them.
An audit hook always refuses tracing, profiling, object-graph walking, new audit hooks,
opening a process's memory and loading native modules from outside the installation (the
usual tools to subvert a test or the runner), refuses ctypes while a cell or a test runs or
in threads, and refuses rewriting the code or defaults of any protected function (the
runner's own included). A passing test must carry a proof that only the sealed run of the
test can produce (see :func:`seal`). The test itself is compiled and
executed by the runner, never by the shell.
"""

from __future__ import annotations

import builtins
import collections
import contextlib
import functools
import gc
import itertools
import signal
import sys
import threading
import types
from _signal import getsignal as _getsignal  # the C function: no enum per call
from collections.abc import Callable
from operator import attrgetter, is_
from typing import Any, cast

PROTECTED_MODULES = ("builtins", "math", "cmath", "operator", "functools", "numbers", "numpy",
                     "numpy.testing", "pandas", "pandas.testing", "unittest")
PROTECTED_PREFIXES = ("numpy.testing.", "pandas.testing.", "pandas._testing", "unittest.",
                      "numpy._core.numeric", "numpy.core.numeric", "sabaq_runtime")
# what the runner itself uses to talk to the host: healed after every cell, not only tests
TRANSPORT_MODULES = ("os", "posix", "json", "json.encoder", "json.decoder", "json.scanner",
                     "struct", "time", "socket", "select", "signal", "resource", "contextlib",
                     "traceback", "linecache", "types", "operator", "functools", "threading")
UNPROTECTED = frozenset({"_State"})  # per-cell mutable state of the runner itself
_MISSING = object()
VERSION_OFFSET = 3 * 8  # the version tag of a 3.11 dict: after the header and ma_used (64-bit)
_HEAP_TYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: classes written in Python, whose attributes can change


class TamperBlocked(RuntimeError):
    """Raised inside a test when its code tries an operation that could subvert grading."""


def _exec_test(code: types.CodeType | tuple[types.CodeType, types.CodeType],
               namespace: dict[str, Any]) -> Any:
    """Run a compiled test; its frame on the stack marks "a test is running".

    A pair is a test whose last statement is an expression: its body runs, then the
    expression, whose value (like a notebook cell's ``execute_result``) is returned.
    """
    if type(code) is tuple:
        exec(code[0], namespace)
        return eval(code[1], namespace)
    exec(cast(types.CodeType, code), namespace)
    return None


def compile_test(source: str, cell_id: str) -> types.CodeType | tuple[types.CodeType, types.CodeType]:
    """Compile a test the way IPython runs a cell: the value of a last expression is kept.

    As in IPython, a trailing semicolon silences it, and only a top-level expression
    statement at the very end counts (nbgrader reads partial credit from that value).
    """
    import ast
    import io
    import tokenize

    name = f"<test {cell_id}>"
    tree = cast(ast.Module, compile(source, name, "exec", ast.PyCF_ONLY_AST, dont_inherit=True))
    if not tree.body or type(tree.body[-1]) is not ast.Expr:
        return compile(tree, name, "exec", dont_inherit=True)
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        tokens = []
    silent = (tokenize.ENDMARKER, tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT)
    last = next((token for token in reversed(tokens) if token[0] not in silent), None)
    if last is not None and last[0] == tokenize.OP and last[1] == ";":
        return compile(tree, name, "exec", dont_inherit=True)
    expression = ast.Expression(cast(ast.Expr, tree.body.pop()).value)
    return (compile(tree, name, "exec", dont_inherit=True),
            compile(expression, name, "eval", dont_inherit=True))


def run_cell(shell: Any, source: str) -> Any:
    """Run a code cell in the shell; its frame on the stack marks "a code cell is running"."""
    return shell.run_cell(source, store_history=True)


def _protected_names() -> list[str]:
    return [name for name in list(sys.modules)
            if name in PROTECTED_MODULES or name in TRANSPORT_MODULES
            or name.startswith(PROTECTED_PREFIXES)]


def _is_transport(module_name: str) -> bool:
    return module_name in TRANSPORT_MODULES or module_name.startswith("sabaq_runtime")


class Snapshot:
    """The pristine state of the interpreter, taken in the zygote.

    Restoring compares identities with C-level ``map(operator.is_, ...)`` first and only
    walks an object in Python when something changed, so a clean restore costs little.
    """

    def __init__(self, shell: Any) -> None:
        self.shell = shell
        modules: dict[str, types.ModuleType] = {}
        dicts: list[tuple[dict[str, Any], tuple[tuple[str, Any], ...]]] = []
        functions: list[types.FunctionType] = []
        classes: list[tuple[type, tuple[tuple[str, Any], ...]]] = []
        seen: set[int] = set()
        for name in _protected_names():
            module = sys.modules[name]
            if not isinstance(module, types.ModuleType):
                continue
            if module is not builtins:  # a warning raised from the module's code adds it later
                module.__dict__.setdefault("__warningregistry__", {})
            modules[name] = module
            dicts.append((module.__dict__, tuple(module.__dict__.items())))
            for value in list(module.__dict__.values()):
                if id(value) in seen:
                    continue
                seen.add(id(value))
                if isinstance(value, types.FunctionType):
                    functions.append(value)
                elif isinstance(value, type) and value.__name__ not in UNPROTECTED:
                    for klass in value.__mro__:
                        if klass.__flags__ & _HEAP_TYPE and (klass is value or id(klass) not in seen):
                            seen.add(id(klass))
                            classes.append((klass, tuple(vars(klass).items())))
                            functions.extend(_methods(klass, seen))
        self.dicts = tuple((live, saved, tuple(v for _, v in saved), tuple(k for k, _ in saved))
                           for live, saved in dicts)
        self.classes = tuple((cls, saved, tuple(v for _, v in saved)) for cls, saved in classes)
        self.read_version = _dict_version_reader()
        watched = [live for live, _ in dicts] + [_class_dict(cls) for cls, _ in classes]
        # the pristine tags; a dict whose tag differs is compared value by value (few are)
        self.read_versions = _versions_reader(tuple(watched)) if self.read_version else None
        self.versions = self.read_versions() if self.read_versions else tuple(0 for _ in watched)
        self.modules = tuple(modules.items())
        self.watched = tuple(watched)
        self.transport = tuple(_is_transport(name) for name in
                               [m for m in modules] + [c.__module__ for c, _ in classes])
        # heal (after every cell) reads only the transport dicts' tags: a few dozen, not thousands
        self.transport_indices = tuple(i for i, transport in enumerate(self.transport) if transport)
        self.read_transport_versions = (_versions_reader(tuple(watched[i] for i in self.transport_indices))
                                        if self.read_version else None)
        self.transport_versions = tuple(self.versions[i] for i in self.transport_indices)
        self.functions = tuple(functions)
        cells = [(cell, cell.cell_contents) for func in functions for cell in func.__closure__ or ()
                 if _has_value(cell)]
        self.cells = tuple(c for c, _ in cells)
        self.cell_values = tuple(v for _, v in cells)
        self.builtin_names = frozenset(vars(builtins))
        self.protected_ids = frozenset(id(m) for m in modules.values())
        self.sys_hooks = tuple((name, getattr(sys, name)) for name in
                               ("excepthook", "displayhook", "unraisablehook", "breakpointhook"))
        self.meta_path = tuple(sys.meta_path)
        self.path_hooks = tuple(sys.path_hooks)
        self.recursion_limit = sys.getrecursionlimit()
        self.gc_callbacks = tuple(gc.callbacks)
        handlers = [(int(sig), _getsignal(sig)) for sig in signal.valid_signals()
                    if sig not in (signal.SIGKILL, signal.SIGSTOP)]
        self.signals = tuple((sig, handler) for sig, handler in handlers if handler is not None)
        self.custom_exceptions = shell.custom_exceptions
        self.transformers = (tuple(shell.input_transformers_cleanup),
                             tuple(shell.input_transformers_post), tuple(shell.ast_transformers))
        # what a restore replaced stays alive until the runner has answered, so no __del__
        # of a student object can run (and re-tamper) between the restore and the answer
        self.graveyard: list[Any] = []

    def _restore_namespaces(self, only_transport: bool = False) -> None:
        """Restore module and class dicts; with dict version tags, only the ones that changed.

        Comparing every value would touch (and so copy-on-write) thousands of objects the
        child shares with the zygote; a dict's version tag changes on every write to it.
        """
        if only_transport:
            indices: Any = self.transport_indices
            read, pristine = self.read_transport_versions, self.transport_versions
        else:
            indices, read, pristine = range(len(self.watched)), self.read_versions, self.versions
        now = read() if read is not None else None
        modules = len(self.dicts)
        for position, index in enumerate(indices):
            if now is not None and now[position] == pristine[position]:
                continue
            if index < modules:
                live, saved, values, keys = self.dicts[index]
                if not _same_items(live, keys, values):
                    _restore_dict(live, saved, self.builtin_names, live is vars(builtins),
                                  self.graveyard)
            else:
                cls, saved, values = self.classes[index - modules]
                live_attrs = vars(cls)
                if len(live_attrs) != len(saved) or not all(map(is_, live_attrs.values(),
                                                                values)):
                    _restore_class(cls, saved, self.graveyard)

    def view(self) -> tuple[Any, ...]:
        """What a test's checks read, as one immutable tuple taken before the test runs."""
        return (self.read_versions, self.watched, self.dicts, self.classes, self.modules,
                self.cells, self.cell_values, self.signals, self.meta_path, self.path_hooks)

    def note_namespace(self, namespace: dict[str, Any],
                       noted: tuple[tuple[str, types.ModuleType], ...]) -> \
            tuple[tuple[str, types.ModuleType], ...]:
        """Add names bound to protected modules (``np`` -> numpy) after a cell ran.

        The result is immutable and kept by the runner (a variable of its loop, which code
        that reaches the runner's frames can read but not rebind), not in this object.
        """
        known = {key for key, _ in noted}
        found = [(key, value) for key, value in list(namespace.items())
                 if isinstance(key, str) and key not in known
                 and isinstance(value, types.ModuleType) and id(value) in self.protected_ids]
        return (*noted, *found) if found else noted

    def heal(self) -> None:
        """Put back what the runner needs to talk to the host; cheap, run after every cell."""
        self._restore_namespaces(only_transport=True)

    def restore(self, namespace: dict[str, Any],
                noted: tuple[tuple[str, types.ModuleType], ...] = ()) -> None:
        """Put back everything a test may rely on (see the module docstring)."""
        threading.settrace(None)
        threading.setprofile(None)
        for name, hook in self.sys_hooks:
            setattr(sys, name, hook)
        sys.meta_path[:] = self.meta_path
        sys.path_hooks[:] = self.path_hooks
        sys.setrecursionlimit(self.recursion_limit)
        gc.callbacks[:] = self.gc_callbacks
        for timer in (signal.ITIMER_REAL, signal.ITIMER_VIRTUAL, signal.ITIMER_PROF):
            signal.setitimer(timer, 0)
        if not _signals_unchanged(self.signals):
            for sig, handler in self.signals:
                if _getsignal(sig) is not handler:
                    with contextlib.suppress(OSError, ValueError, TypeError):
                        signal.signal(sig, handler)
        self._restore_namespaces()
        if not _cells_unchanged(self.cells, self.cell_values):
            for cell, value in zip(self.cells, self.cell_values, strict=True):
                cell.cell_contents = value
        for name, module in self.modules:
            if sys.modules.get(name) is not module:
                sys.modules[name] = module
        for key, module in noted:
            if namespace.get(key) is not module:
                namespace[key] = module
        shell = self.shell
        shell.custom_exceptions = self.custom_exceptions
        shell.CustomTB = None
        shell.input_transformers_cleanup[:] = self.transformers[0]
        shell.input_transformers_post[:] = self.transformers[1]
        shell.ast_transformers[:] = self.transformers[2]


def _same_items(live: dict[str, Any], keys: tuple[str, ...], values: tuple[Any, ...],
                _missing: Any = _MISSING, _repeat: Any = itertools.repeat, _map: Any = map,
                _all: Any = all, _len: Any = len) -> bool:
    """Whether ``live`` holds exactly ``keys`` bound to ``values`` (in C; in any order, since
    IPython takes some builtins out and puts them back around every cell)."""
    return bool(_len(live) == _len(keys) and _all(_map(is_, _map(live.get, keys, _repeat(_missing)), values)))


def _restore_dict(live: dict[str, Any], saved: tuple[tuple[str, Any], ...],
                  builtin_names: frozenset[str], exact: bool, graveyard: list[Any]) -> None:
    original = dict(saved)
    for key, value in saved:
        old = live.get(key, _MISSING)
        if old is not value:
            graveyard.append(old)
            live[key] = value
    for key in [k for k in live if k not in original and (exact or k in builtin_names)]:
        graveyard.append(live.pop(key))


def _class_dict(cls: type) -> dict[str, Any]:
    """The real dict behind ``vars(cls)`` (a read-only proxy of it)."""
    for referent in gc.get_referents(vars(cls)):
        if isinstance(referent, dict):
            return referent
    raise RuntimeError(f"cannot find the attribute dict of {cls!r}")


def _dict_version_reader() -> Callable[[dict[str, Any]], int] | None:
    """Read CPython 3.11's per-dict version tag (PEP 509), if this interpreter has one.

    The tag sits right after the object header and ``ma_used``; a self-test proves the
    reader works before it is trusted, otherwise every dict is compared value by value.
    """
    if sys.implementation.name != "cpython" or sys.version_info[:2] != (3, 11) or sys.maxsize != 2**63 - 1:
        return None
    import ctypes

    offset = VERSION_OFFSET

    # string_at copies the bytes out: a read-only view (``from_address`` would hand out a
    # writable one), which the audit hook lets through cheaply for the watched dicts
    def read(d: dict[str, Any], _at: Any = ctypes.string_at, _offset: int = offset,
             _int: Any = int.from_bytes) -> int:
        return int(_int(_at(id(d) + _offset, 8), "little"))

    probe: dict[str, Any] = {"a": 1}
    first = read(probe)
    probe["a"] = 2
    second = read(probe)
    del probe["a"]
    third = read(probe)
    if not (first != second != third != first and read(probe) == third):
        return None
    return read


def _versions_reader(watched: tuple[dict[str, Any], ...]) -> Callable[[], tuple[int, ...]]:
    """Read the version tags of all ``watched`` dicts at once (see :func:`_dict_version_reader`)."""
    import ctypes
    from itertools import repeat

    addresses = tuple(id(d) + VERSION_OFFSET for d in watched)
    string_at = getattr(ctypes, "_string_at")  # noqa: B009 - the C function, not its wrapper

    def read_all(_at: Any = string_at, _addresses: tuple[int, ...] = addresses,
                 _int: Any = int.from_bytes, _map: Any = map, _repeat: Any = repeat,
                 _tuple: Any = tuple) -> tuple[int, ...]:
        return cast(tuple[int, ...], _tuple(_map(_int, _map(_at, _addresses, _repeat(8)), _repeat("little"))))

    return read_all


def _methods(cls: type, seen: set[int]) -> list[types.FunctionType]:
    found = []
    for attr in list(vars(cls).values()):
        func = _unwrap(attr)
        if isinstance(func, types.FunctionType) and id(func) not in seen:
            seen.add(id(func))
            found.append(func)
    return found


def _unwrap(attr: Any) -> Any:
    if isinstance(attr, (staticmethod, classmethod)):
        return attr.__func__
    if isinstance(attr, property):
        return attr.fget
    return attr


def _has_value(cell: Any) -> bool:
    try:
        cell.cell_contents  # noqa: B018 - probing whether the cell is empty
    except ValueError:
        return False
    return True


def _cells_unchanged(cells: tuple[Any, ...], values: tuple[Any, ...],
                     _contents: Any = attrgetter("cell_contents")) -> bool:
    """Whether every closure cell still holds its value (compared in C: about a thousand cells)."""
    try:
        return all(map(is_, map(_contents, cells), values))
    except ValueError:  # a cell was emptied
        return False


def _signals_unchanged(signals: tuple[tuple[int, Any], ...]) -> bool:
    return all(_getsignal(sig) is handler for sig, handler in signals)


def _restore_class(cls: type, saved: tuple[tuple[str, Any], ...], graveyard: list[Any]) -> None:
    original = dict(saved)
    live = vars(cls)
    for key, value in saved:
        old = live.get(key, _MISSING)
        if old is not value and key not in ("__dict__", "__weakref__"):
            graveyard.append(old)
            with contextlib.suppress(AttributeError, TypeError):
                setattr(cls, key, value)
    for key in [k for k in live if k not in original and not k.startswith("_abc")]:
        graveyard.append(live.get(key))
        with contextlib.suppress(AttributeError, TypeError):
            delattr(cls, key)


def seal(proof: str, namespace: dict[str, Any], box: list[Any], values: list[Any]) -> \
        tuple[list[Any], list[Any]]:
    """Prepare the sealed run of a test: ``proof`` lands in ``box`` only if the test passes.

    The host sends a secret proof with every test and accepts a pass only with it. Code the
    test calls can walk the stack up to the runner's frames and read their variables, so
    the proof is held by no frame: only by a C-level call chain (partial, deque, chain,
    map) that execs the test and then appends the proof, which nothing but this chain
    references. ``run_test`` pops the one callable from the first list and calls it, so it
    lives on no frame's variables either, and puts the compiled test in the second list.
    The value of the test's last expression lands in ``values`` just before the proof.
    """
    codes: list[Any] = []
    steps = itertools.chain(map(values.append, map(_exec_test, itertools.islice(iter(codes), 1),
                                                   itertools.repeat(namespace))),
                            map(box.append, (proof,)))
    return [functools.partial(collections.deque, steps, 0)], codes


def run_test(snapshot: Snapshot, source: str, cell_id: str, namespace: dict[str, Any],
             sealed: list[Any] | None = None, codes: list[Any] | None = None,
             noted: tuple[tuple[str, types.ModuleType], ...] = (),
             test_namespace: dict[str, Any] | None = None) -> \
        tuple[bool, dict[str, Any] | None]:
    """Run one test cell hardened; return (passed, error). Passed only if exec returned.

    ``namespace`` is the notebook's (restored first); the test runs in ``test_namespace``
    when given (see ``names``), which the sealed chain from :func:`seal` must also hold.
    """
    snapshot.restore(namespace, noted)
    # bound now, before any student code runs during the test, so it cannot swap them: the
    # view is immutable, and this frame's variables cannot be rebound from outside
    state, changed, view = protected_state, changed_during, snapshot.view()
    before = state(view)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1000.0)  # keep leftover student threads off the GIL meanwhile
    try:
        code = compile_test(source, cell_id)
        if sealed is None or codes is None:
            _exec_test(code, namespace if test_namespace is None else test_namespace)
        else:
            codes.append(code)
            sealed.pop()()
    except BaseException as exc:
        sys.setswitchinterval(interval)
        return False, describe(exc)
    sys.setswitchinterval(interval)
    where = changed(view, before, _patches(code))
    if where is not None:  # the test passed against a patched module: it does not count
        return False, describe(TamperBlocked(f"code run by the test changed {where} while the test ran"))
    return True, None


View = tuple[Any, ...]


def _patches(code: Any) -> bool:
    """Whether a test's code uses ``patch`` (``unittest.mock.patch``, ``monkeypatch``-style
    helpers): such a test changes protected modules itself and puts them back, so only a
    module left changed when it ends counts against it (code it calls could do the same)."""
    stack = list(code) if isinstance(code, tuple) else [code]
    while stack:
        current = stack.pop()
        if any("patch" in name for name in current.co_names):
            return True
        stack.extend(const for const in current.co_consts if isinstance(const, types.CodeType))
    return False


def protected_state(view: View) -> tuple[tuple[int, ...], tuple[int, ...], frozenset[str]]:
    """What a test starts from: the version tag and size of every protected dict, and the loaded modules.

    A dict's version tag changes on every write to it, even one that is undone later, so
    comparing tags after the test catches code the test called patching a protected
    module or class and putting it back before the test ended.
    """
    read, watched = view[0], view[1]
    versions = read() if read is not None else ()
    return versions, tuple(map(len, watched)), frozenset(sys.modules)


def changed_during(view: View, before: tuple[tuple[int, ...], tuple[int, ...], frozenset[str]],
                   patching: bool = False) -> str | None:
    """The protected state written while a test ran, or None.

    The one change allowed is the import system adding a submodule that was first imported
    during the test (``numpy.polynomial`` becoming an attribute of ``numpy``). Closures of
    protected functions and signal handlers are compared by identity.
    """
    _, watched_dicts, dicts, classes, modules, cells, cell_values, signals, meta_path, path_hooks = view
    versions, sizes, loaded = before
    count = len(dicts)
    now = protected_state(view)[0] if versions else ()
    for index, watched in enumerate(watched_dicts):
        if versions:
            if now[index] == versions[index]:
                continue
        elif len(watched) == sizes[index]:
            continue  # without version tags, only additions and removals are visible
        if index >= count:
            cls = classes[index - count][0]
            return f"the class {getattr(cls, '__qualname__', '?')}"
        live, saved = dicts[index][:2]
        name = str(live.get("__name__", "?"))
        added = [key for key, value in list(live.items())
                 if isinstance(value, types.ModuleType) and value.__name__ == f"{name}.{key}"
                 and value.__name__ not in loaded]
        same = len(live) >= len(saved) and all(live.get(key, _MISSING) is value for key, value in saved)
        if patching and same and len(live) == sizes[index] + len(added):
            continue  # a test that patches (unittest.mock) and has put everything back
        if not (same and added and len(live) == sizes[index] + len(added)):
            return f"the module {name}"
    for name, module in modules:
        if sys.modules.get(name) is not module:
            return f"sys.modules[{name!r}]"
    if not _cells_unchanged(cells, cell_values):
        return "a closure of a protected function"
    if tuple(sys.meta_path) != meta_path or tuple(sys.path_hooks) != path_hooks:
        return "the import system (sys.meta_path or sys.path_hooks)"
    if not _signals_unchanged(signals):
        changed = next(sig for sig, handler in signals if _getsignal(sig) is not handler)
        return f"the handler of signal {changed}"
    return None


def error_output(error: dict[str, Any]) -> dict[str, Any]:
    """The nbformat ``error`` output for a :func:`describe` result."""
    return {"output_type": "error", "ename": error["ename"], "evalue": error["evalue"],
            "traceback": error["traceback"]}


def describe(exc: BaseException) -> dict[str, Any]:
    """Describe an exception defensively: hostile __str__ or metaclasses must not break it."""
    import traceback

    ename = type.__dict__["__name__"].__get__(type(exc))
    try:
        evalue = str(exc)
    except BaseException:
        evalue = "<exception that cannot be printed>"
    try:
        lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
        trace = [line for line in lines if "sabaq_runtime" not in line]
    except BaseException:
        trace = [f"{ename}: {evalue}"]
    test_line = None  # the line of the test's own code where it failed, for feedback
    try:
        where = exc.__traceback__
        while where is not None:
            if str(where.tb_frame.f_code.co_filename).startswith("<test "):
                test_line = int(where.tb_lineno)
            where = where.tb_next
    except BaseException:
        test_line = None
    return {"ename": str(ename), "evalue": evalue, "traceback": trace, "test_line": test_line}
