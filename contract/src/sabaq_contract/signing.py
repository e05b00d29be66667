"""HMAC-SHA256 signatures of the grader's callbacks to the block.

The grader signs ``<timestamp>.<body>`` with the shared callback secret and sends the
timestamp and the signature in two headers. The block checks the signature in constant
time and refuses timestamps more than ``MAX_AGE_SECONDS`` away, so a captured callback
cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from .errors import SignatureInvalid, SignatureStale

TIMESTAMP_HEADER = "X-Sabaq-Timestamp"
SIGNATURE_HEADER = "X-Sabaq-Signature"
MAX_AGE_SECONDS = 300


def sign(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The two headers that authenticate ``body`` with ``secret``."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    mac = hmac.new(secret.encode("utf-8"), stamp.encode("ascii") + b"." + body, hashlib.sha256)
    return {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: "sha256=" + mac.hexdigest()}


def verify(
    secret: str,
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    now: float | None = None,
) -> None:
    """Return if ``body`` is signed with ``secret`` and fresh.

    Raises ``SignatureInvalid`` (code ``callback_disabled``, ``signature_missing`` or
    ``signature_bad``) or ``SignatureStale`` (``callback_stale``).
    """
    if not secret:
        raise SignatureInvalid("callback_disabled")
    if not timestamp or not signature or not timestamp.isdigit():
        raise SignatureInvalid("signature_missing")
    expected = sign(secret, body, int(timestamp))[SIGNATURE_HEADER]
    if not hmac.compare_digest(expected, signature):
        raise SignatureInvalid("signature_bad")
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > MAX_AGE_SECONDS:
        raise SignatureStale("callback_stale")
