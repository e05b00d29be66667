"""The audit policy: what student code may never do, and what it may not do while a test runs.

One irremovable audit hook (installed in the zygote, after the snapshot) refuses:

* always: tracing, profiling, object-graph walking, new audit hooks, opening a process's
  memory, native modules from outside the installation, rewriting the code or defaults of a
  protected function, and *forging library code*: compiling source under a file name of the
  installation (or ``<frozen ...>``, or a test's name) unless it is that file's own text,
  building or ``replace``-ing a code object with such a name other than from library code,
  and unmarshalling code other than by the import system. Library code can therefore be told from student code by the
  file name of its code object.
* while a cell or a test runs, and in threads: ctypes.
* while a test runs: every route to a frame object (``sys._getframe``, and the ``tb_frame``,
  ``gi_frame``, ``cr_frame`` and ``ag_frame`` attributes: each raises an audit event on
  3.11), unless the request comes from library code that is known to keep the frame to
  itself (``namedtuple``, ``enum``, ``typing``, ``logging``, ``traceback``'s extractors,
  ``unittest``, pandas' and matplotlib's warning helpers, this runtime). Without a frame,
  code the test calls cannot read the test's names or code, nor write its namespace;
  and building a function (``function.__new__``), which could carry the test's namespace
  as its globals.

The hook keeps no state of its own (its frame can be reached through the traceback of an
exception it raises): everything it uses is an immutable default argument.
"""

from __future__ import annotations

import functools
import importlib._bootstrap_external as _external
import os
import sys
import threading
import types
import zipimport
from collections.abc import Callable
from typing import Any

from . import guard

_BLOCKED_ALWAYS = frozenset({
    "sys.settrace", "sys.setprofile", "sys._current_frames", "gc.get_objects",
    "gc.get_referrers", "gc.get_referents", "sys.addaudithook",
})
_FUNCTION_FIELDS = frozenset({"__code__", "__defaults__", "__kwdefaults__"})
_QUIET = frozenset({"builtins.id", "exec", "object.__delattr__", "os.listdir", "os.scandir"})
_FRAME_ATTRIBUTES = frozenset({"tb_frame", "gi_frame", "cr_frame", "ag_frame"})
# library functions that ask for a frame and keep it to themselves (file tail, function)
FRAME_CONSUMERS = frozenset({
    ("collections/__init__.py", "namedtuple"), ("enum.py", "_create_"), ("typing.py", "_caller"),
    ("logging/__init__.py", "findCaller"), ("logging/__init__.py", "handleError"),
    ("traceback.py", "extract_stack"), ("traceback.py", "clear_frames"),
    ("traceback.py", "_extract_from_extended_frame_gen"),
    ("unittest/result.py", "_is_relevant_tb_level"),
    ("unittest/result.py", "_remove_unittest_tb_frames"),
    ("pandas/util/_exceptions.py", "find_stack_level"),
    ("matplotlib/_api/__init__.py", "warn_external"),
})
# the import system's own unmarshalling of .pyc files (private functions of the standard library)
_UNMARSHALLERS = (getattr(_external, "_compile_bytecode").__code__,  # noqa: B009
                  getattr(zipimport, "_unmarshal_code").__code__)  # noqa: B009


RUNTIME_ROOT = os.path.dirname(os.path.abspath(__file__)) + "/"
CTYPES_ROOT = os.path.dirname(os.path.abspath(os.__file__)) + "/ctypes/"
_FRAME_TOKENS = ("_getframe", "currentframe", "tb_frame", "gi_frame", "frame_gen")
_GENERATOR_FLAGS = 0x20 | 0x80 | 0x100 | 0x200  # generator, coroutine, iterable coroutine, async generator


def installation_roots() -> tuple[str, ...]:
    """The interpreter's installation (the virtual environment and the base Python)."""
    return tuple(sorted({root.rstrip("/") + "/" for root in (sys.prefix, sys.base_prefix, sys.exec_prefix)}))


def install_audit_hook(snapshot: guard.Snapshot) -> None:
    """Install the (irremovable) audit hook; call once in the zygote after the snapshot."""
    protected_functions = frozenset(id(f) for f in snapshot.functions)
    # the version tags of the watched dicts, which the runner reads around every test
    version_tags = frozenset(id(d) + guard.VERSION_OFFSET for d in snapshot.watched)
    installation = installation_roots()
    roots = (*installation, RUNTIME_ROOT)  # library code: the installation and this runtime
    consumers = tuple(sorted(FRAME_CONSUMERS))
    from . import child

    # from the start of a test until its answer is ready (its error and value described)
    zone = frozenset({guard._exec_test.__code__, guard.run_test.__code__, child._run_test.__code__})
    ctypes_callers = frozenset({child._drop_privileges.__code__})

    def hook(event: str, args: tuple[Any, ...], _quiet: frozenset[str] = _QUIET,
             _getframe: Any = sys._getframe,
             _always: frozenset[str] = _BLOCKED_ALWAYS, _fields: frozenset[str] = _FUNCTION_FIELDS,
             _frames: frozenset[str] = _FRAME_ATTRIBUTES,
             _zone: frozenset[types.CodeType] = zone,
             _ctypes_callers: frozenset[types.CodeType] = ctypes_callers,
             _compiler: types.CodeType = guard.compile_test.__code__,
             _unmarshallers: tuple[types.CodeType, ...] = _UNMARSHALLERS,
             _protected: frozenset[int] = protected_functions,
             _main: int = threading.main_thread().ident or 0,
             _ident: Any = threading.get_ident, _error: type = guard.TamperBlocked,
             _memory: Callable[[Any], bool] = _process_memory,
             _native: Callable[[Any, tuple[str, ...]], bool] = _trusted_native,
             _claims: Callable[[Any, tuple[str, ...]], bool] = claims_library_name,
             _genuine: Callable[[Any, Any], bool] = _is_file_text,
             _allowed: Callable[..., bool] = frame_allowed,
             _is_hook: Callable[[Any], bool] = _is_hook_frame,
             _tags: frozenset[int] = version_tags, _ctypes_library: str = CTYPES_ROOT,
             _roots: tuple[str, ...] = roots, _installation: tuple[str, ...] = installation,
             _runtime: str = RUNTIME_ROOT,
             _consumers: tuple[tuple[str, str], ...] = consumers) -> None:
        if event in _quiet:
            return  # the most frequent events, which need nothing
        if event == "ctypes.string_at" and args[1] == 8 and args[0] in _tags:
            return  # reading a watched dict's version tag: a copy, changes nothing
        if event == "object.__getattr__":
            if args[1] in _frames:
                caller = _getframe(0).f_back
                if not _is_hook(caller) and not _allowed(caller, args[0], args[1], _zone, _roots, _runtime,
                                                         _consumers):
                    raise _error("reaching a frame from this code is not allowed in a graded submission")
            return
        if event == "sys._getframe":
            if _is_hook(args[0]):
                return  # the hook finding its own caller
            caller = _getframe(0).f_back
            if not _is_hook(caller) and not _allowed(caller, None, "", _zone, _roots, _runtime, _consumers):
                raise _error("reaching a frame from this code is not allowed in a graded submission")
            return
        if event == "object.__setattr__":
            if args[1] == "__class__" and isinstance(args[0], types.ModuleType):
                raise _error("changing the class of a module is not allowed in a graded submission")
            if args[1] in _fields and id(args[0]) in _protected:
                raise _error(f"changing {args[1]} of {getattr(args[0], '__qualname__', '?')} "
                             f"is not allowed in a graded submission")
            return
        if event in _always:
            raise _error(f"{event} is not allowed in a graded submission")
        if event == "import":
            if args[1] is not None and not _native(args[1], _installation):
                raise _error("loading a native module from outside the installed packages "
                             "is not allowed in a graded submission")
            return
        if event == "open" or event == "os.symlink":
            if _memory(args[0]):
                raise _error("opening a process's memory is not allowed in a graded submission")
            return
        if event == "compile":
            name = args[1]
            if isinstance(name, str) and name.startswith("<test "):
                if _getframe(0).f_back.f_code is not _compiler:
                    raise _error("compiling code under a test's name is not allowed in a graded submission")
            elif _claims(name, _roots) and not _genuine(args[0], name):
                raise _error("compiling code under a library's file name is not allowed in a graded submission")
            return
        if event == "code.__new__":  # library code may (``types.coroutine`` replaces its flags)
            if (_claims(args[1], _roots) or (isinstance(args[1], str) and args[1].startswith("<test "))) \
                    and not _claims(_getframe(0).f_back.f_code.co_filename, _roots):
                raise _error("building code under a library's file name is not allowed in a graded submission")
            return
        if event == "marshal.loads" or event == "marshal.load":
            if _getframe(0).f_back.f_code not in _unmarshallers:
                raise _error("unmarshalling code is not allowed in a graded submission")
            return
        if event == "function.__new__":
            if not _allowed(_getframe(0).f_back, None, "", _zone, _roots, _runtime, _consumers):
                raise _error("building a function while a test runs is not allowed in a graded submission")
            return
        if not event.startswith("ctypes."):
            return
        # ctypes only for the runner's own privilege drop: never student code, whether in a
        # cell, a test, a thread, or a finalizer that runs between them
        frame = _getframe(0).f_back
        while frame is not None and frame.f_code not in _ctypes_callers:
            if not frame.f_code.co_filename.startswith(_ctypes_library):
                raise _error(f"{event} is not allowed in a graded submission")
            frame = frame.f_back
        if frame is None:
            raise _error(f"{event} is not allowed in a graded submission")

    sys.addaudithook(hook)


def _is_hook_frame(frame: Any, _here: str = __file__) -> bool:
    """Whether ``frame`` runs the audit hook itself (its name and file cannot be forged)."""
    code = frame.f_code if frame is not None else None
    return (code is not None and code.co_qualname == "install_audit_hook.<locals>.hook"
            and code.co_filename == _here)


def frame_allowed(caller: Any, owner: Any, attribute: str, zone: frozenset[types.CodeType],
                  roots: tuple[str, ...], runtime: str, consumers: tuple[tuple[str, str], ...]) -> bool:
    """Whether the code running in ``caller`` may have the frame it asks for.

    A known consumer may, always: library code that keeps the frame to itself, reached from
    ``caller`` through library frames each at a line that takes a frame (so a chain of C
    callables that a student object starts inside library code cannot pass for it). While a
    test runs (from its start until its answer is ready), nothing else may. Between tests,
    code may, except for frames that can come alive again during a later test: those of
    student generators and coroutines (a frame's ``f_back`` raises no audit event).
    """
    if _consumer_chain(caller, roots, runtime, consumers):
        return True
    frame = caller
    while frame is not None:
        if frame.f_code in zone:
            return False
        frame = frame.f_back
    frame = caller
    while frame is not None:  # asked from inside a running student generator or coroutine
        if frame.f_code.co_flags & _GENERATOR_FLAGS and not _is_library(frame.f_code.co_filename, roots):
            return False
        frame = frame.f_back
    if attribute in ("gi_frame", "cr_frame", "ag_frame"):
        code = getattr(owner, attribute[:2] + "_code", None)
        if code is not None and not _is_library(code.co_filename, roots):
            return False  # a student generator's frame: it may run again during a test
    return True


def _consumer_chain(caller: Any, roots: tuple[str, ...], runtime: str,
                    consumers: tuple[tuple[str, str], ...]) -> bool:
    frame = caller
    while frame is not None:
        code = frame.f_code
        filename = code.co_filename
        if not _is_library(filename, roots) or not _takes_frame(filename, frame.f_lineno):
            return False
        name = code.co_name
        if filename.startswith(runtime) or any(
                name == function and filename.endswith("/" + tail) for tail, function in consumers):
            # traceback's extractor hands back the locals of every frame when asked to
            return not (name == "_extract_from_extended_frame_gen" and frame.f_locals.get("capture_locals"))
        frame = frame.f_back
    return False


def _is_library(filename: Any, roots: tuple[str, ...]) -> bool:
    """Whether ``filename`` lies under one of ``roots``, with no ``..`` climbing out."""
    return isinstance(filename, str) and filename.startswith(roots) and ".." not in filename.split("/")


@functools.lru_cache(maxsize=256)
def _takes_frame(filename: str, lineno: int) -> bool:
    """Whether line ``lineno`` of the library file ``filename`` takes a frame (read from the file
    itself: ``linecache`` holds whatever student code puts in it)."""
    try:
        with open(filename, "rb") as handle:
            lines = handle.read().split(b"\n")
    except OSError:
        return False
    line = lines[lineno - 1].decode("utf-8", "replace") if 0 < lineno <= len(lines) else ""
    return any(token in line for token in _FRAME_TOKENS)


def claims_library_name(filename: Any, roots: tuple[str, ...]) -> bool:
    """Whether code under ``filename`` would pass for library code."""
    return isinstance(filename, str) and (_is_library(filename, roots) or filename.startswith("<frozen "))


def _is_file_text(source: Any, filename: str) -> bool:
    """Whether ``source`` is the text of the file ``filename`` (what importing it compiles)."""
    if filename.startswith("<frozen "):
        return False
    if isinstance(source, str):
        source = source.encode()
    if not isinstance(source, bytes | bytearray | memoryview):
        return False  # an AST, which could say anything
    try:
        with open(filename, "rb") as handle:
            return handle.read() == bytes(source)
    except OSError:
        return False


def _trusted_native(filename: Any, trusted: tuple[str, ...]) -> bool:
    """Whether a native module's file lies under one of the ``trusted`` prefixes.

    Only str methods, which student code cannot patch; no ``..`` may climb out.
    """
    return (isinstance(filename, str) and filename.startswith(trusted)
            and ".." not in filename.split("/"))


def _process_memory(path: Any) -> bool:
    """Whether ``path`` names a process's memory file (``/proc/<pid>/mem``).

    Only str and bytes methods, which student code cannot patch. A path reaches such a file
    only through a last component or a symbolic link target named ``mem``, and both the
    ``open`` and the ``os.symlink`` audit events carry the path already converted.
    """
    if isinstance(path, str):
        return path.rstrip("/").rpartition("/")[2] == "mem"
    if isinstance(path, bytes):
        return path.rstrip(b"/").rpartition(b"/")[2] == b"mem"
    return False
