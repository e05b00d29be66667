"""Publisher keys: Ed25519 key pairs that sign module bundles (public keys: :mod:`sabaq_contract.keys`).

A publisher makes a key pair once (``sabaq keys new``) and gives partners the public key
out of band; a partner passes the public keys it trusts to ``sabaq verify``. Keys are PEM
files (PKCS#8 for the private key, written readable by its owner only; SubjectPublicKeyInfo
for the public one). A key's id is the first 16 hex digits of the SHA-256 of its raw
public bytes: it names the signer in a bundle and in the catalog, never replaces the key.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sabaq_contract.keys import ALGORITHM, KeyFileError, PublicKey, key_id, load_public_key, read_key_file

__all__ = ["PublicKey", "key_id", "load_private_key", "load_public_key", "new_key_pair", "sign"]


def new_key_pair(directory: Path, name: str) -> tuple[Path, Path]:
    """Write ``NAME.key`` (private, mode 0600) and ``NAME.pub`` into ``directory``; never overwrites."""
    if not name or "/" in name or name.startswith("."):
        raise KeyFileError(f"{name!r} is not a key name: use letters, digits and dashes")
    directory.mkdir(parents=True, exist_ok=True)
    private_path, public_path = directory / f"{name}.key", directory / f"{name}.pub"
    for path in (private_path, public_path):
        if path.exists():
            raise KeyFileError(f"{path} exists already: a key is never overwritten (choose another name)")
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    handle = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(handle, "wb") as stream:
        stream.write(pem)
    public_path.write_bytes(private.public_key().public_bytes(serialization.Encoding.PEM,
                                                              serialization.PublicFormat.SubjectPublicKeyInfo))
    return private_path, public_path


def load_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(read_key_file(path), password=None)
    except (ValueError, TypeError) as error:
        raise KeyFileError(f"{path}: not a PEM private key without a passphrase ({error})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path}: a {type(key).__name__}, but bundles are signed with Ed25519 keys")
    return key


def sign(key: Ed25519PrivateKey, message: bytes) -> dict[str, str]:
    """The signature record stored beside a bundle's manifest."""
    return {"algorithm": ALGORITHM, "key_id": key_id(key.public_key()),
            "signature": base64.b64encode(key.sign(message)).decode("ascii")}
