"""One SQLAlchemy engine per store URL, migrated to the newest schema when first opened.

Submissions and widget checks share the store (SQLite under the data directory by
default, PostgreSQL or MySQL/MariaDB for a large site); both open it here, so each
process makes one engine per URL and runs the migrations once. ``sqlalchemy`` and
``alembic`` are imported only when a store is first opened, never with the block.
"""

from __future__ import annotations

import threading
from typing import Any

_ENGINES: dict[str, Any] = {}
_LOCK = threading.Lock()


def make_engine(url: str) -> Any:
    """A new engine for ``url`` (SQLite: its directory made, a 30 s busy timeout)."""
    import sqlalchemy as sa

    if url.startswith("sqlite:///"):
        from pathlib import Path

        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        return sa.create_engine(url, connect_args={"timeout": 30})
    if url.startswith(("mysql", "mariadb")):
        # REPEATABLE READ would let a count inside a write read an older snapshot.
        return sa.create_engine(url, pool_pre_ping=True, pool_recycle=3600,
                                isolation_level="READ COMMITTED")
    return sa.create_engine(url, pool_pre_ping=True)


def engine(url: str) -> Any:
    """The process's engine for ``url``, its schema upgraded to the newest revision."""
    with _LOCK:
        if url not in _ENGINES:
            from .migrations import upgrade

            made = make_engine(url)
            upgrade(made)
            _ENGINES[url] = made
        return _ENGINES[url]


def dispose(url: str) -> None:
    """Close the engine for ``url`` (tests dropping a database, a command that is done)."""
    with _LOCK:
        made = _ENGINES.pop(url, None)
    if made is not None:
        made.dispose()


def is_deadlock(error: Exception) -> bool:
    """Whether ``error`` is a database's "try again" answer (a deadlock or a lock timeout)."""
    code = getattr(getattr(error, "orig", None), "args", (None,))[0]
    return code in (1205, 1213) or getattr(getattr(error, "orig", None), "sqlstate", "") in ("40001", "40P01")
