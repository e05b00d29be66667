"""The store's schema, made and changed by Alembic migrations shipped with the block.

``upgrade(engine)`` brings a database to the newest revision: it runs when a store is
first opened (``database.engine``) and as a command::

    python -m sabaq_xblock.migrations [--url URL] [--show]

(the URL defaults to the deployment's ``SUBMISSIONS_DB``). The revisions' version table
is ``sabaq_alembic_version``, so the store can share a database (Open edX's MySQL) with
other Alembic users. A database made before the migrations existed (by ``create_all``)
is recognised by its columns and stamped with the revision it matches before upgrading.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

VERSION_TABLE = "sabaq_alembic_version"
LOCK_NAME = "sabaq_migrations"
HERE = Path(__file__).parent


def _config(connection: Any) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.attributes["connection"] = connection
    return config


def head() -> str:
    """The newest revision."""
    from alembic.script import ScriptDirectory

    return str(ScriptDirectory.from_config(_config(None)).get_current_head())


def current(engine: Any) -> str | None:
    """The revision the database at ``engine`` is at (None: not under migrations yet)."""
    with engine.connect() as conn:
        return current_on(conn)


def current_on(connection: Any) -> str | None:
    """The revision of the database on ``connection``."""
    from alembic.runtime.migration import MigrationContext

    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    revision: str | None = context.get_current_revision()
    return revision


def _before_migrations(connection: Any) -> str | None:
    """The revision a schema made by ``create_all`` (before the migrations) matches, if any."""
    import sqlalchemy as sa

    inspector = sa.inspect(connection)
    if not inspector.has_table("sabaq_submission"):
        return None
    columns = {c["name"] for c in inspector.get_columns("sabaq_submission")}
    return "0002" if {"attempt", "pending_slot"} <= columns else "0001"


@contextlib.contextmanager
def _exclusive(engine: Any) -> Iterator[None]:
    """Hold the store's migration lock: one process migrates at a time, whatever the database
    (SQLite and MySQL commit each DDL statement at once, so a transaction alone cannot)."""
    import sqlalchemy as sa

    dialect = engine.dialect.name
    if dialect == "sqlite":
        import fcntl

        database = engine.url.database or ""
        if not database or database == ":memory:":
            yield
            return
        with open(f"{database}.migrating", "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield
        return
    with engine.connect() as conn:
        if dialect in ("mysql", "mariadb"):
            conn.execute(sa.text("SELECT GET_LOCK(:name, 600)"), {"name": LOCK_NAME})
            try:
                yield
            finally:
                conn.execute(sa.text("SELECT RELEASE_LOCK(:name)"), {"name": LOCK_NAME})
        elif dialect == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_lock(hashtext(:name))"), {"name": LOCK_NAME})
            try:
                yield
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(hashtext(:name))"), {"name": LOCK_NAME})
        else:
            yield


def upgrade(engine: Any, revision: str = "head") -> None:
    """Migrate the database at ``engine`` to ``revision``, one process at a time."""
    from alembic import command

    if revision == "head" and current(engine) == head():
        return
    with _exclusive(engine), engine.begin() as conn:
        config = _config(conn)
        if current_on(conn) is None and (found := _before_migrations(conn)) is not None:
            command.stamp(config, found)
        command.upgrade(config, revision)


def downgrade(engine: Any, revision: str) -> None:
    """Migrate the database at ``engine`` back to ``revision`` (``base``: no tables at all)."""
    from alembic import command

    with _exclusive(engine), engine.begin() as conn:
        command.downgrade(_config(conn), revision)


def main(argv: list[str] | None = None) -> int:
    """The command: upgrade the store (or ``--show`` its revision)."""
    import argparse

    from sabaq_contract import settings as deployment

    from ..database import make_engine

    parser = argparse.ArgumentParser(prog="python -m sabaq_xblock.migrations", description=main.__doc__)
    parser.add_argument("--url", help="SQLAlchemy URL of the store (default: SABAQ_SUBMISSIONS_DB)")
    parser.add_argument("--show", action="store_true", help="print the current and newest revisions only")
    args = parser.parse_args(argv)
    engine = make_engine(args.url or deployment.load().submissions_db)
    try:
        if not args.show:
            upgrade(engine)
        print(f"current: {current(engine)}  head: {head()}")
    finally:
        engine.dispose()
    return 0
