"""Process start-up for Sabaq's own commands and workers.

Two imports dominate a start and are not needed by anything Sabaq runs:

jsonschema (through nbformat) imports the packages behind its optional format checkers
when they are installed (Jupyter installs them all): ``rfc3987_syntax`` compiles an IRI
grammar at import time, about 3 s of every start on a small machine, and the others
(``isoduration`` with ``arrow``, the URI, date-time, colour and host name validators)
cost tens of milliseconds more. Formats are checked only when a validator is given a format
checker, which neither nbformat nor Sabaq does, so Sabaq's own processes tell jsonschema
those packages are absent; jsonschema then simply does not register their checkers.
Nothing else in these processes imports them.

nbgrader's package ``__init__`` imports its four Jupyter server extensions (Tornado
handlers, the exchange, the formgrader): about 0.5 s. Sabaq uses nbgrader's
preprocessors, metadata validator and utilities, never its server, so its own processes
register the package without running that ``__init__``; its submodules import as usual.

``nbgrader.utils`` imports three archive helpers from ``setuptools.archive_util``, which
imports all of setuptools: about 0.2 s. Sabaq never unpacks archives through nbgrader, so
its code imports ``nbgrader.utils`` through :func:`nbgrader_utils`, against a stand-in for
that module whose three helpers load the real one when first called; the stand-in is taken
away again at once, so anyone importing ``setuptools.archive_util`` gets setuptools' own.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types
from collections.abc import Callable
from typing import Any

FORMAT_CHECKER_PACKAGES = ("rfc3987_syntax", "rfc3987", "isoduration", "rfc3986_validator",
                           "rfc3339_validator", "uri_template", "webcolors", "fqdn", "jsonpointer")


def skip_format_checkers() -> None:
    """Call before anything imports jsonschema; harmless if it already has."""
    for name in FORMAT_CHECKER_PACKAGES:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]


_ARCHIVE_UTIL = "setuptools.archive_util"
_ARCHIVE_HELPERS = ("unpack_archive", "unpack_tarfile", "unpack_zipfile")


def _real_archive_util() -> types.ModuleType:
    return importlib.import_module(_ARCHIVE_UTIL)


def _deferred(name: str) -> Callable[..., Any]:
    def helper(*args: Any, **kwargs: Any) -> Any:
        return getattr(_real_archive_util(), name)(*args, **kwargs)

    helper.__name__ = helper.__qualname__ = name
    return helper


_utils_lock = threading.Lock()
_utils: types.ModuleType | None = None


def nbgrader_utils() -> types.ModuleType:
    """``nbgrader.utils``, imported (once) with deferred archive helpers; ``sys.modules`` is
    left as it was, so anyone importing ``setuptools.archive_util`` later gets the real one.

    Safe from any thread: the first caller imports under a lock, and nobody gets the module
    before its import has finished (``sys.modules`` holds it from the moment it starts).
    """
    global _utils
    if _utils is not None:
        return _utils
    with _utils_lock:
        if _utils is None:
            _utils = _import_utils()
        return _utils


def _import_utils() -> types.ModuleType:
    stand_in = None
    if _ARCHIVE_UTIL not in sys.modules and importlib.util.find_spec("setuptools") is not None:
        stand_in = types.ModuleType(_ARCHIVE_UTIL, "setuptools.archive_util, loaded when first used")
        for name in _ARCHIVE_HELPERS:
            setattr(stand_in, name, _deferred(name))
        sys.modules[_ARCHIVE_UTIL] = stand_in
    try:
        return importlib.import_module("nbgrader.utils")
    finally:
        if stand_in is not None and sys.modules.get(_ARCHIVE_UTIL) is stand_in:
            del sys.modules[_ARCHIVE_UTIL]


def light_nbgrader() -> None:
    """Make ``nbgrader`` importable without its server extensions; call before anything imports it."""
    if "nbgrader" in sys.modules:
        return
    spec = importlib.util.find_spec("nbgrader")
    if spec is None or spec.submodule_search_locations is None:
        return
    package = types.ModuleType("nbgrader", "nbgrader, without its Jupyter server extensions")
    package.__path__ = list(spec.submodule_search_locations)
    package.__file__ = spec.origin
    package.__spec__ = spec
    package.__package__ = "nbgrader"
    sys.modules["nbgrader"] = package
    from nbgrader._version import __version__

    package.__version__ = __version__  # type: ignore[attr-defined]
