"""Calling block handlers the way a runtime does, and taking a snapshot of all the state they keep."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from webob import Request


def call(block: Any, handler: str, data: Any = None, *, body: bytes | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """POST ``data`` (JSON) or ``body`` to ``handler``; return (status, decoded JSON)."""
    raw = body if body is not None else json.dumps(data if data is not None else {}).encode()
    request = Request.blank("/", method="POST", body=raw, headers=headers or {})
    response = block.runtime.handle(block, handler, request)
    try:
        decoded = json.loads(response.body or b"null")
    except ValueError:
        decoded = response.body
    return response.status_code, decoded


def init_args(page: str) -> Any:
    """The block's init arguments in a rendered ``page`` (they travel base64-encoded)."""
    import base64
    import re

    found = re.search(r'"encoded": "([A-Za-z0-9+/=]+)"', page)
    assert found, "no base64-encoded init arguments in the page"
    return json.loads(base64.b64decode(found.group(1)))


def send(block: Any, handler: str, body: bytes = b"", *, method: str = "POST",
         headers: dict[str, str] | None = None, suffix: str = "") -> tuple[int, Any, Any]:
    """Call ``handler`` with a raw ``body``; return (status, decoded JSON, the response)."""
    request = Request.blank("/", method=method, body=body if method != "GET" else None,
                            headers=headers or {})
    response = block.runtime.handle(block, handler, request, suffix)
    try:
        decoded = json.loads(response.body or b"null")
    except ValueError:
        decoded = response.body
    return response.status_code, decoded, response


def state(kvs: Any, data_dir: str | Path) -> Any:
    """Everything a handler could change: every field of every user and every table on disk
    (submissions, widget checks, the embedded broker's queued tasks)."""
    import sqlalchemy as sa

    tables: dict[str, Any] = {}
    for path in sorted(Path(data_dir).glob("*.sqlite")):
        engine = sa.create_engine(f"sqlite:///{path}")
        with engine.connect() as conn:
            for name in sa.inspect(engine).get_table_names():
                rows = conn.execute(sa.text(f'SELECT * FROM "{name}"')).all()
                tables[f"{path.name}:{name}"] = sorted(map(repr, rows))
        engine.dispose()
    return copy.deepcopy(dict(kvs.db_dict)), tables
