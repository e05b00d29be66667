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
"""

from __future__ import annotations

import importlib.util
import sys
import types


def skip_iri_grammar() -> None:
    """Call before anything imports jsonschema; harmless if it already has."""
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


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
