"""Process start-up for Sabaq's own commands and workers.

Two imports dominate a start and are not needed by anything Sabaq runs:

jsonschema (through nbformat) imports ``rfc3987_syntax`` when it is installed,
which compiles an IRI grammar at import time: about 3 s of every start on a
small machine. Nothing Sabaq validates uses the ``iri`` formats, so its own
processes tell jsonschema the package is absent; jsonschema then simply does
not register those two format checkers.

nbgrader's package ``__init__`` imports its four Jupyter server extensions (Tornado
handlers, the exchange, the formgrader): about 0.5 s. Sabaq uses nbgrader's
preprocessors, metadata validator and utilities, never its server, so its own processes
register the package without running that ``__init__``; its submodules import as usual.

``nbgrader.utils`` imports three archive helpers from ``setuptools.archive_util``, which
imports all of setuptools: about 0.2 s. Sabaq never unpacks archives through nbgrader, so
its processes register a stand-in for that module: the three helpers load the real module
when first called, and so does any other attribute anyone asks of it.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from collections.abc import Callable
from typing import Any


def skip_iri_grammar() -> None:
    """Call before anything imports jsonschema; harmless if it already has."""
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


_ARCHIVE_UTIL = "setuptools.archive_util"
_ARCHIVE_HELPERS = ("unpack_archive", "unpack_tarfile", "unpack_zipfile")


class _LazyArchiveUtil(types.ModuleType):
    """Stands in for ``setuptools.archive_util`` until something really uses it."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # the import system probing (``__path__``...): not a use
            raise AttributeError(name)
        return getattr(_real_archive_util(), name)


def _real_archive_util() -> types.ModuleType:
    if isinstance(sys.modules.get(_ARCHIVE_UTIL), _LazyArchiveUtil):
        del sys.modules[_ARCHIVE_UTIL]
    return importlib.import_module(_ARCHIVE_UTIL)


def _deferred(name: str) -> Callable[..., Any]:
    def helper(*args: Any, **kwargs: Any) -> Any:
        return getattr(_real_archive_util(), name)(*args, **kwargs)

    helper.__name__ = helper.__qualname__ = name
    return helper


def lazy_archive_helpers() -> None:
    """Register the stand-in for ``setuptools.archive_util``; harmless if it is imported already."""
    if _ARCHIVE_UTIL in sys.modules or importlib.util.find_spec("setuptools") is None:
        return
    stand_in = _LazyArchiveUtil(_ARCHIVE_UTIL, "setuptools.archive_util, loaded when first used")
    for name in _ARCHIVE_HELPERS:
        setattr(stand_in, name, _deferred(name))
    sys.modules[_ARCHIVE_UTIL] = stand_in


def light_nbgrader() -> None:
    """Make ``nbgrader`` importable without its server extensions; call before anything imports it."""
    lazy_archive_helpers()
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
