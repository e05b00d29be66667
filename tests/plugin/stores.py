"""The three stores the block supports, one fresh and empty store per test: SQLite, the
machine's PostgreSQL (a new schema) and MariaDB (a new database, the server started by
``servers.mariadb`` if none runs). A test skips on a server only when it is truly absent."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import servers
import sqlalchemy as sa

from sabaq_xblock import database

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
STORES = ["sqlite", "postgresql", "mariadb"]


def postgres_schema() -> tuple[str, Callable[[], None]]:
    """A fresh schema in the machine's PostgreSQL; skip only when the server is unreachable."""
    schema = f"sabaq_test_{uuid.uuid4().hex[:10]}"
    server = sa.create_engine(PG_SERVER)
    try:
        with server.begin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    except sa.exc.OperationalError as error:
        server.dispose()
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 is unreachable: {error.orig}")

    def drop() -> None:
        with server.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        server.dispose()

    return f"{PG_SERVER}?options=-csearch_path%3D{schema}", drop


def mariadb_database(server_url: str) -> tuple[str, Callable[[], None]]:
    """A fresh database in the MariaDB server at ``server_url``."""
    name = f"sabaq_test_{uuid.uuid4().hex[:10]}"
    server = sa.create_engine(server_url)
    with server.begin() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4"))

    def drop() -> None:
        with server.begin() as conn:
            conn.execute(sa.text(f"DROP DATABASE {name}"))
        server.dispose()

    return server_url.replace("/test?", f"/{name}?"), drop


@pytest.fixture(scope="session")
def mariadb_server() -> Iterator[str | None]:
    with servers.mariadb() as url:
        yield url


@pytest.fixture(params=STORES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty store's URL (its tables are made by the migrations when it is first opened)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'submissions.sqlite'}"
        return
    if request.param == "postgresql":
        url, drop = postgres_schema()
    else:
        server = request.getfixturevalue("mariadb_server")
        if server is None:
            pytest.skip("MariaDB is not installed (Debian package mariadb-server; bash .ci/setup installs it)")
        url, drop = mariadb_database(server)
    try:
        yield url
    finally:
        database.dispose(url)
        drop()
