"""Publishers' public keys: read one, name it, check a signature with it (Ed25519).

A key's id is the first 16 hex digits of the SHA-256 of its raw public bytes: it names the
signer in a bundle and in a catalog, and is never trusted on its own. ``cryptography`` is
imported when a key is read (Open edX ships it; the ``sabaq`` command depends on it).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ALGORITHM = "ed25519"
MAX_KEY_FILE_BYTES = 16 * 1024


class KeyFileError(ValueError):
    """A key file that cannot be read, is not an Ed25519 key, or would be overwritten."""


@dataclass(frozen=True)
class PublicKey:
    key: Any  # an Ed25519PublicKey
    source: str  # where it was read from, for messages

    @property
    def id(self) -> str:
        return key_id(self.key)

    def verifies(self, signature: bytes, message: bytes) -> bool:
        from cryptography.exceptions import InvalidSignature

        try:
            self.key.verify(signature, message)
        except InvalidSignature:
            return False
        return True


def key_id(key: Any) -> str:
    from cryptography.hazmat.primitives import serialization

    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def read_key_file(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_KEY_FILE_BYTES:
            raise KeyFileError(f"{path}: too large for a key file")
        return path.read_bytes()
    except OSError as error:
        raise KeyFileError(f"{path}: cannot read the key ({error.strerror or error})") from None


def public_key_from_pem(pem: bytes, source: str) -> PublicKey:
    """The Ed25519 public key in ``pem``; ``source`` names it in messages."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        raise KeyFileError(f"{source}: not a PEM public key ({error})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFileError(f"{source}: a {type(key).__name__}, but bundles are signed with Ed25519 keys")
    return PublicKey(key, source)


def load_public_key(path: Path) -> PublicKey:
    return public_key_from_pem(read_key_file(path), str(path))
