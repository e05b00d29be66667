"""The test's own namespace: names a test relies on, out of reach of the code it calls.

nbgrader runs a test in the notebook's namespace, so a student function the test calls could
rebind a name the test relies on (``global expected; expected = 0``, or ``np`` swapped for a
fake) and pass wrong code. Here each test runs in a dict of its own (a :data:`TestNamespace`)
that holds, when the test begins:

* the names the instructor's cells bound: read-only cells and earlier tests (a student cell
  that rebinds one of them takes it over, as it would in nbgrader);
* the names bound to protected modules (``np`` -> numpy), as the snapshot restored them;
* the real ``builtins`` as ``__builtins__``.

Every other name (the student's functions, the globals they change while the test runs,
IPython's own names) is read from the notebook's namespace at the moment the test reads it,
through the dict's ``__missing__``, which is the notebook namespace's own C-level
``__getitem__``: the test sees the student's code exactly as nbgrader's tests do. A name
the notebook has, the test rebinds or deletes in both dicts (student functions see it as in
nbgrader) but reads from its own, which the code it calls cannot rebind; a name new to the
notebook stays in the test's dict only, so student code cannot read it from its globals
(unlike nbgrader, where a later cell could also use it). When the test ends the instructor
owns what it bound, and later tests see it.

Student code could reach the test's dict through a frame (refused while a test runs, see
``audit``) or through the ``__globals__`` of a function the test defined and handed to it
(not closed: see the threat model).
"""

from __future__ import annotations

import builtins
from typing import Any

Owned = tuple[tuple[str, Any], ...]
_MISSING = object()
_DELETED = object()  # key (never a name) of the names a test deleted from the notebook
_NOT_COPIED = frozenset({"__builtins__", "__name__"})
# the zygote replaces this with namespace_class(shell.user_ns) before the snapshot
TestNamespace: type[dict[str, Any]] = dict
_SHELL_NAMES = frozenset({"_", "__", "___", "_i", "_ii", "_iii", "_ih", "_oh", "_dh", "In", "Out",
                          "exit", "quit", "get_ipython"})


def namespace_class(user_ns: dict[str, Any]) -> type[dict[str, Any]]:
    """The class of test namespaces over ``user_ns`` (made once, in the zygote).

    Misses read ``user_ns``. A name the notebook already has, the test rebinds or deletes in
    both, so the student's functions see it at once, as in nbgrader (a test that deletes or
    swaps a function the student's code should call, to prove it does, works as there). A
    name new to the notebook (``expected = 6``) stays the test's own: the code it calls
    cannot read it from its globals.
    """
    def __setitem__(self: dict[str, Any], key: str, value: Any, _set: Any = dict.__setitem__,
                    _get: Any = dict.get, _user: dict[str, Any] = user_ns) -> None:
        _set(self, key, value)
        if key in _user or key in _get(self, _DELETED, ()):
            _user[key] = value

    def __delitem__(self: dict[str, Any], key: str, _pop: Any = dict.pop,
                    _setdefault: Any = dict.setdefault, _user: dict[str, Any] = user_ns) -> None:
        found = _pop(self, key, _MISSING) is not _MISSING
        if _pop(_user, key, _MISSING) is not _MISSING:
            _setdefault(self, _DELETED, set()).add(key)  # rebinding it later writes it back
        elif not found:
            raise KeyError(key)

    return type("TestNamespace", (dict,), {"__slots__": (), "__missing__": user_ns.__getitem__,
                                           "__setitem__": __setitem__, "__delitem__": __delitem__,
                                           "__module__": __name__})


def begin(cls: type[dict[str, Any]], owned: Owned) -> dict[str, Any]:
    """A fresh namespace for one test: what the instructor owns, and the real builtins."""
    namespace = cls(owned)  # dict's own constructor and __setitem__: nothing written to user_ns
    dict.__setitem__(namespace, "__builtins__", builtins)
    dict.__setitem__(namespace, "__name__", "__main__")
    return namespace


def finish(namespace: dict[str, Any]) -> Owned:
    """What the instructor owns after a test: what its namespace holds (owned names it
    deleted are gone, names it bound are added)."""
    return tuple((key, value) for key, value in dict.items(namespace)
                 if type(key) is str and key not in _NOT_COPIED)


def after_student_cell(owned: Owned, user_ns: dict[str, Any]) -> Owned:
    """Names a student cell rebound are the student's from now on (a name only a test bound
    is not in the notebook's namespace, and stays the instructor's)."""
    kept = tuple(pair for pair in owned if user_ns.get(pair[0], pair[1]) is pair[1])
    return owned if len(kept) == len(owned) else kept


def after_instructor_cell(owned: Owned, before: dict[str, Any], user_ns: dict[str, Any]) -> Owned:
    """Names a read-only cell bound are the instructor's."""
    bound = [(key, value) for key, value in list(user_ns.items())
             if type(key) is str and not _shell_name(key) and before.get(key, _MISSING) is not value]
    if not bound:
        return owned
    merged = dict(owned)
    merged.update(bound)
    return tuple(merged.items())


def _shell_name(key: str) -> bool:
    """IPython's own names: its history and output cache (``_i3``, ``_3``), ``In``, ``Out``."""
    return key in _SHELL_NAMES or (key[:1] == "_" and (key[1:].isdigit() or (key[1:2] == "i" and key[2:].isdigit())))
