"""Calling block handlers the way a runtime does."""

from __future__ import annotations

import json
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
