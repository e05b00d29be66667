"""The tool's signing keys: RSA 2048, the newest signs, the one before it stays published.

Platforms fetch the tool's JWKS to check its client assertions (for grade passback) and
Deep Linking responses, and cache it. ``rotate`` makes a new key the signer at once and keeps
the previous one in the JWKS, so a platform that cached the old set still verifies anything the
old key signed; every older key is deleted. The private keys never leave the tool's database.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.db import transaction
from jwt.algorithms import RSAAlgorithm

from .models import ToolKey

PUBLISHED = 2
"""How many keys the JWKS holds: the signer and the one it replaced."""


def _new_key() -> ToolKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode("ascii")
    public = private.public_key().public_bytes(serialization.Encoding.DER,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    return ToolKey(kid=hashlib.sha256(public).hexdigest()[:32], private_pem=pem)


def signing_key() -> ToolKey:
    """The key that signs now (made on first use: the embedded default needs no set-up)."""
    key = ToolKey.objects.order_by("-id").first()
    if key is None:
        with transaction.atomic():
            key = ToolKey.objects.select_for_update().order_by("-id").first()
            if key is None:
                key = _new_key()
                key.save()
    assert isinstance(key, ToolKey)
    return key


def rotate() -> tuple[ToolKey, list[str]]:
    """Make a new signer; returns it and the ids of the keys deleted (all but it and the one before)."""
    with transaction.atomic():
        key = _new_key()
        key.save()
        keep = list(ToolKey.objects.order_by("-id").values_list("id", flat=True)[:PUBLISHED])
        old = list(ToolKey.objects.exclude(id__in=keep).values_list("kid", flat=True))
        ToolKey.objects.exclude(id__in=keep).delete()
    return key, old


def public_jwk(key: ToolKey) -> dict[str, Any]:
    private = serialization.load_pem_private_key(key.private_pem.encode("ascii"), password=None)
    jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(private.public_key()))  # type: ignore[arg-type]
    jwk.update(kid=key.kid, alg="RS256", use="sig")
    return jwk


def jwks() -> dict[str, Any]:
    """The public keyset platforms fetch: the signer first, then the key it replaced."""
    signing_key()
    return {"keys": [public_jwk(k) for k in ToolKey.objects.order_by("-id")[:PUBLISHED]]}


def sign(claims: dict[str, Any]) -> str:
    """``claims`` as a JWT signed (RS256) by the current key, its ``kid`` in the header."""
    import jwt

    key = signing_key()
    return jwt.encode(claims, key.private_pem, algorithm="RS256", headers={"kid": key.kid})
