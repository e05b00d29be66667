"""Signing the callback to the XBlock: HMAC-SHA256 over ``<timestamp>.<body>``.

This mirrors ``sabaq_xblock.signature``; the two packages share the format, not code.
"""

from __future__ import annotations

import hashlib
import hmac
import time


def signed_headers(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The ``X-Sabaq-Timestamp`` and ``X-Sabaq-Signature`` headers for ``body``."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    mac = hmac.new(secret.encode("utf-8"), stamp.encode("ascii") + b"." + body, hashlib.sha256)
    return {"X-Sabaq-Timestamp": stamp, "X-Sabaq-Signature": "sha256=" + mac.hexdigest()}
