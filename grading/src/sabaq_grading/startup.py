"""Process start-up for Sabaq's own commands and workers.

jsonschema (through nbformat) imports ``rfc3987_syntax`` when it is installed,
which compiles an IRI grammar at import time: about 3 s of every start on a
small machine. Nothing Sabaq validates uses the ``iri`` formats, so its own
processes tell jsonschema the package is absent; jsonschema then simply does
not register those two format checkers.
"""

from __future__ import annotations

import sys


def skip_iri_grammar() -> None:
    """Call before anything imports jsonschema; harmless if it already has."""
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
