"""Tamper resistance for test cells: a snapshot taken in the zygote, restored before each test.

Student code runs earlier in the same interpreter, so before a test the runner puts back
what the test relies on: interpreter hooks, ``builtins``, the ``__dict__`` of protected
modules (and the code, defaults and closures of their functions, and the attributes of their
classes), their ``sys.modules`` entries, and module names the namespace once bound to them.
An audit hook always refuses tracing, profiling, object-graph walking and new audit hooks
(the usual tools to subvert a test or the runner), refuses ctypes while a test runs or in
threads, and refuses rewriting the runner's own functions. The test itself is compiled and executed by the runner, never by the shell.
"""

from __future__ import annotations

import builtins
import gc
import signal
import sys
import threading
import types
from collections.abc import Iterable
from typing import Any

PROTECTED_MODULES = ("builtins", "math", "cmath", "operator", "functools", "numbers", "numpy",
                     "numpy.testing", "pandas", "pandas.testing", "unittest")
PROTECTED_PREFIXES = ("numpy.testing.", "pandas.testing.", "pandas._testing", "unittest.",
                      "numpy._core.numeric", "numpy.core.numeric", "sabaq_runtime")
_BLOCKED_ALWAYS = frozenset({
    "sys.settrace", "sys.setprofile", "sys._current_frames", "gc.get_objects",
    "gc.get_referrers", "gc.get_referents", "sys.addaudithook",
})
_FUNCTION_FIELDS = frozenset({"__code__", "__defaults__", "__kwdefaults__"})
_MISSING = object()


class TamperBlocked(RuntimeError):
    """Raised inside a test when its code tries an operation that could subvert grading."""


def _exec_test(code: types.CodeType, namespace: dict[str, Any]) -> None:
    """Run a compiled test; its frame on the stack marks "a test is running"."""
    exec(code, namespace)


def _protected_names() -> list[str]:
    return [name for name in list(sys.modules)
            if name in PROTECTED_MODULES or name.startswith(PROTECTED_PREFIXES)]


class Snapshot:
    """The pristine state of the interpreter, taken in the zygote."""

    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self.modules: dict[str, types.ModuleType] = {}
        self.module_dicts: list[tuple[dict[str, Any], dict[str, Any]]] = []
        self.functions: list[tuple[types.FunctionType, tuple[Any, ...]]] = []
        self.classes: list[tuple[type, dict[str, Any]]] = []
        seen: set[int] = set()
        for name in _protected_names():
            module = sys.modules[name]
            if not isinstance(module, types.ModuleType):
                continue
            self.modules[name] = module
            self.module_dicts.append((module.__dict__, dict(module.__dict__)))
            self._collect(module.__dict__.values(), name, seen)
        self.builtin_names = frozenset(vars(builtins))
        self.protected_ids = frozenset(id(m) for m in self.modules.values())
        self.sys_hooks = {name: getattr(sys, name) for name in
                          ("excepthook", "displayhook", "unraisablehook", "breakpointhook")}
        self.meta_path = list(sys.meta_path)
        self.path_hooks = list(sys.path_hooks)
        self.recursion_limit = sys.getrecursionlimit()
        self.gc_callbacks = list(gc.callbacks)
        self.signals = {sig: signal.getsignal(sig) for sig in signal.valid_signals()
                        if sig not in (signal.SIGKILL, signal.SIGSTOP)}
        self.custom_exceptions = shell.custom_exceptions
        self.transformers = (list(shell.input_transformers_cleanup),
                             list(shell.input_transformers_post), list(shell.ast_transformers))
        self.namespace_modules: dict[str, types.ModuleType] = {}

    def _collect(self, values: Iterable[Any], module_name: str, seen: set[int]) -> None:
        for value in list(values):
            if id(value) in seen:
                continue
            seen.add(id(value))
            if isinstance(value, types.FunctionType):
                self.functions.append((value, _function_state(value)))
            elif isinstance(value, type) and getattr(value, "__module__", "") == module_name:
                self.classes.append((value, dict(vars(value))))
                self._collect_methods(value, seen)

    def _collect_methods(self, cls: type, seen: set[int]) -> None:
        for attr in list(vars(cls).values()):
            func = _unwrap(attr)
            if isinstance(func, types.FunctionType) and id(func) not in seen:
                seen.add(id(func))
                self.functions.append((func, _function_state(func)))

    def note_namespace(self, namespace: dict[str, Any]) -> None:
        """Remember names bound to protected modules (``np`` -> numpy) after a cell ran."""
        for key, value in list(namespace.items()):
            if (isinstance(key, str) and key not in self.namespace_modules
                    and isinstance(value, types.ModuleType) and id(value) in self.protected_ids):
                self.namespace_modules[key] = value

    def restore(self, namespace: dict[str, Any]) -> None:
        """Put back everything a test may rely on (see the module docstring)."""
        threading.settrace(None)  # type: ignore[arg-type]
        threading.setprofile(None)  # type: ignore[arg-type]
        for name, hook in self.sys_hooks.items():
            setattr(sys, name, hook)
        sys.meta_path[:] = self.meta_path
        sys.path_hooks[:] = self.path_hooks
        sys.setrecursionlimit(self.recursion_limit)
        gc.callbacks[:] = self.gc_callbacks
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        signal.setitimer(signal.ITIMER_PROF, 0)
        for sig, handler in self.signals.items():
            if handler is not None:
                try:
                    signal.signal(sig, handler)
                except (OSError, ValueError, TypeError):
                    pass
        for live, saved in self.module_dicts:
            for key, value in saved.items():
                if live.get(key, _MISSING) is not value:
                    live[key] = value
            if live is not vars(builtins):
                for key in [k for k in live if k not in saved and k in self.builtin_names]:
                    del live[key]
            else:
                for key in [k for k in live if k not in saved]:
                    del live[key]
        for func, state in self.functions:
            if _function_state(func) != state:
                _set_function_state(func, state)
        for cls, saved in self.classes:
            _restore_class(cls, saved)
        for name, module in self.modules.items():
            if sys.modules.get(name) is not module:
                sys.modules[name] = module
        for key, module in self.namespace_modules.items():
            if namespace.get(key) is not module:
                namespace[key] = module
        shell = self.shell
        shell.custom_exceptions = self.custom_exceptions
        shell.CustomTB = None
        shell.input_transformers_cleanup[:] = self.transformers[0]
        shell.input_transformers_post[:] = self.transformers[1]
        shell.ast_transformers[:] = self.transformers[2]


def _unwrap(attr: Any) -> Any:
    if isinstance(attr, (staticmethod, classmethod)):
        return attr.__func__
    if isinstance(attr, property):
        return attr.fget
    return attr


def _function_state(func: types.FunctionType) -> tuple[Any, ...]:
    cells = tuple(_cell_value(c) for c in func.__closure__ or ())
    return (func.__code__, func.__defaults__, func.__kwdefaults__, cells)


def _cell_value(cell: Any) -> Any:
    try:
        return cell.cell_contents
    except ValueError:
        return _MISSING


def _set_function_state(func: types.FunctionType, state: tuple[Any, ...]) -> None:
    func.__code__, func.__defaults__, func.__kwdefaults__ = state[0], state[1], state[2]
    for cell, value in zip(func.__closure__ or (), state[3], strict=False):
        if value is not _MISSING:
            cell.cell_contents = value


def _restore_class(cls: type, saved: dict[str, Any]) -> None:
    live = vars(cls)
    for key, value in saved.items():
        if live.get(key, _MISSING) is not value and key not in ("__dict__", "__weakref__"):
            try:
                setattr(cls, key, value)
            except (AttributeError, TypeError):
                pass
    for key in [k for k in live if k not in saved and not k.startswith("_abc")]:
        try:
            delattr(cls, key)
        except (AttributeError, TypeError):
            pass


def install_audit_hook(snapshot: Snapshot) -> None:
    """Install the (irremovable) audit hook; call once in the zygote after the snapshot."""
    runner_functions = frozenset(id(f) for f, _ in snapshot.functions
                                 if f.__module__.startswith("sabaq_runtime"))
    test_code = _exec_test.__code__

    def hook(event: str, args: tuple[Any, ...], _getframe: Any = sys._getframe,
             _always: frozenset[str] = _BLOCKED_ALWAYS, _fields: frozenset[str] = _FUNCTION_FIELDS,
             _runner: frozenset[int] = runner_functions, _test: types.CodeType = test_code,
             _main: int = threading.main_thread().ident or 0,
             _ident: Any = threading.get_ident, _error: type = TamperBlocked) -> None:
        if event == "object.__setattr__":
            if args[1] in _fields and id(args[0]) in _runner:
                raise _error(f"changing {args[1]} of the grading runner is not allowed")
            return
        if event in _always:
            raise _error(f"{event} is not allowed in a graded submission")
        if not event.startswith("ctypes."):
            return
        if _ident() != _main:
            raise _error(f"{event} is not allowed in a thread of a graded submission")
        frame = _getframe(1)
        while frame is not None:
            if frame.f_code is _test:
                raise _error(f"{event} is not allowed while a test runs")
            frame = frame.f_back

    sys.addaudithook(hook)


def run_test(snapshot: Snapshot, source: str, cell_id: str, namespace: dict[str, Any]) -> \
        tuple[bool, dict[str, Any] | None]:
    """Run one test cell hardened; return (passed, error). Passed only if exec returned."""
    gc.collect()
    snapshot.restore(namespace)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1000.0)  # keep leftover student threads off the GIL meanwhile
    try:
        code = compile(source, f"<test {cell_id}>", "exec", dont_inherit=True)
        _exec_test(code, namespace)
    except BaseException as exc:  # noqa: BLE001 - SystemExit etc. are failures too
        sys.setswitchinterval(interval)
        return False, describe(exc)
    sys.setswitchinterval(interval)
    return True, None


def describe(exc: BaseException) -> dict[str, Any]:
    """Describe an exception defensively: hostile __str__ or metaclasses must not break it."""
    import traceback

    ename = type.__dict__["__name__"].__get__(type(exc))
    try:
        evalue = str(exc)
    except BaseException:  # noqa: BLE001
        evalue = "<exception that cannot be printed>"
    try:
        lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
        trace = [line for line in lines if "sabaq_runtime" not in line]
    except BaseException:  # noqa: BLE001
        trace = [f"{ename}: {evalue}"]
    return {"ename": str(ename), "evalue": evalue, "traceback": trace}
