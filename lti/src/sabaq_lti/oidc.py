"""OIDC third-party login and the launch's id_token (LTI 1.3 Security Framework, 5.1).

``login`` answers the platform's login initiation: it makes a ``state`` (signed by the tool:
the platform, a random nonce and the time) that it also sets in a cookie of this browser,
and sends the browser to the platform's authorisation endpoint. It stores nothing, so
anonymous logins cost the tool no rows. ``verify_launch`` checks the id_token the platform
posts back: the state is one this tool signed, for this browser, and fresh; the token is
signed (RS256 only) by the key the platform publishes at its registered keyset URL, issued by
that platform for this tool's client id, current, for the nonce of that state, from a
registered deployment, and an LTI 1.3 message this tool serves. Nothing is written until all
of that holds; ``consume`` then records the nonce as used in the same transaction that
records the launch, so an id_token is accepted once. See THREAT_MODEL.md.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import jwt
from django.core import signing
from django.db import IntegrityError, transaction

from . import messages as m
from .config import tool_urls
from .errors import LaunchInvalid
from .models import Platform, UsedNonce
from .registry import check_deployment, platform_for, service_url_allowed

STATE_COOKIE = "sabaq_lti_state"
STATE_SECONDS = 600.0
"""How long a login may take between initiation and launch."""
LEEWAY = 60
"""Seconds of clock difference allowed between platform and tool."""

_SALT = "sabaq_lti.oidc.state"
_KEYSETS: dict[str, jwt.PyJWKClient] = {}
_KEYSETS_LOCK = threading.Lock()


@dataclass(frozen=True)
class Login:
    """Where to send the browser, and the state to set in its cookie."""

    redirect: str
    state: str


@dataclass(frozen=True)
class Launch:
    """What a verified id_token says."""

    platform: Platform
    nonce: str
    claims: dict[str, Any]
    message_type: str
    deployment_id: str
    sub: str


def login(params: dict[str, str]) -> Login:
    """Answer a login initiation (``iss``, ``login_hint``, ``target_link_uri``, and optionally
    ``client_id``, ``lti_message_hint``, ``lti_deployment_id``) from a registered platform."""
    issuer, hint, target = params.get("iss", ""), params.get("login_hint", ""), params.get("target_link_uri", "")
    if not issuer or not hint or not target:
        raise LaunchInvalid("login_incomplete", "The login request needs iss, login_hint and target_link_uri.")
    platform = platform_for(issuer, params.get("client_id") or None)
    if not _ours(target):
        raise LaunchInvalid("foreign_target", f"The target link {target!r} is not a URL of this tool.")
    if params.get("lti_deployment_id"):
        check_deployment(platform, params["lti_deployment_id"])
    nonce = secrets.token_urlsafe(32)
    state = signing.dumps({"p": platform.id, "n": nonce}, salt=_SALT)
    query = {"scope": "openid", "response_type": "id_token", "response_mode": "form_post", "prompt": "none",
             "client_id": platform.client_id, "redirect_uri": tool_urls().launch, "login_hint": hint,
             "state": state, "nonce": nonce}
    if params.get("lti_message_hint"):
        query["lti_message_hint"] = params["lti_message_hint"]
    join = "&" if urlsplit(platform.auth_login_url).query else "?"
    return Login(f"{platform.auth_login_url}{join}{urlencode(query)}", state)


def _ours(url: str) -> bool:
    base, given = urlsplit(tool_urls().base), urlsplit(url)
    return (given.scheme, given.netloc) == (base.scheme, base.netloc)


def _keyset(url: str) -> jwt.PyJWKClient:
    with _KEYSETS_LOCK:
        client = _KEYSETS.get(url)
        if client is None:
            client = _KEYSETS[url] = jwt.PyJWKClient(url, cache_keys=True, lifespan=300, timeout=10)
        return client


def verify_launch(form: dict[str, str], cookie_state: str | None) -> Launch:
    """The launch ``form`` (``id_token``, ``state``) checked against the login it answers."""
    token, state_value = form.get("id_token", ""), form.get("state", "")
    if not state_value:
        raise LaunchInvalid("no_state", "The launch has no state: start it again from the LMS.")
    if not token:
        raise LaunchInvalid("no_id_token", "The launch has no id_token.")
    if cookie_state is None or not secrets.compare_digest(cookie_state.encode(), state_value.encode()):
        raise LaunchInvalid("state_mismatch", "The launch's state is not the one this browser's login started "
                                              "(its cookie is missing or different): start again from the LMS.")
    try:
        signed = signing.loads(state_value, salt=_SALT, max_age=STATE_SECONDS)
    except signing.SignatureExpired:
        raise LaunchInvalid("state_expired", "The login took too long: start again from the LMS.") from None
    except signing.BadSignature:
        raise LaunchInvalid("state_unknown", "The launch's state was not made by this tool: start again from "
                                             "the LMS.") from None
    platform = Platform.objects.filter(id=signed.get("p")).first() if isinstance(signed, dict) else None
    if platform is None:
        raise LaunchInvalid("state_unknown", "The launch's state names no registered platform.")
    nonce = str(signed["n"])
    claims = _decoded(token, platform)
    if not isinstance(claims.get("nonce"), str) or not secrets.compare_digest(claims["nonce"].encode(),
                                                                              nonce.encode()):
        raise LaunchInvalid("nonce_mismatch", "The id_token's nonce is missing or not the login's.")
    aud = claims.get("aud")
    if ("azp" in claims or (isinstance(aud, list) and len(aud) > 1)) and claims.get("azp") != platform.client_id:
        raise LaunchInvalid("wrong_azp", "The id_token's authorised party is not this tool's client id.")
    if claims.get(m.VERSION) != m.LTI_VERSION:
        raise LaunchInvalid("wrong_version", f"Only LTI {m.LTI_VERSION} launches are served.")
    kind = claims.get(m.MESSAGE_TYPE)
    if kind not in (m.RESOURCE_LINK_REQUEST, m.DEEP_LINKING_REQUEST):
        raise LaunchInvalid("wrong_message_type", f"The message type {kind!r} is not one this tool serves.")
    deployment_id = check_deployment(platform, claims.get(m.DEPLOYMENT_ID))
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise LaunchInvalid("no_sub", "The launch names no user (sub): anonymous launches are not served.")
    target = claims.get(m.TARGET_LINK_URI)
    if not isinstance(target, str) or not _ours(target):
        raise LaunchInvalid("foreign_target", "The id_token's target link is not a URL of this tool.")
    if not isinstance(claims.get(m.ROLES, []), list):
        raise LaunchInvalid("bad_roles", "The id_token's roles are not a list.")
    if kind == m.RESOURCE_LINK_REQUEST:
        link = claims.get(m.RESOURCE_LINK)
        if not isinstance(link, dict) or not isinstance(link.get("id"), str) or not link["id"]:
            raise LaunchInvalid("no_resource_link", "A resource link launch needs its resource_link id.")
    else:
        settings = claims.get(m.DL_SETTINGS)
        if not isinstance(settings, dict) or not isinstance(settings.get("deep_link_return_url"), str):
            raise LaunchInvalid("no_deep_linking_settings", "A deep-linking request needs its return URL.")
        if not service_url_allowed(platform, settings["deep_link_return_url"]):
            raise LaunchInvalid("foreign_service", "The deep-linking return URL is not on the platform's hosts "
                                                   "(`sabaq-lti register --service-host` adds one).")
    ags = claims.get(m.AGS_ENDPOINT)
    if isinstance(ags, dict):
        for name in ("lineitem", "lineitems"):
            if ags.get(name) is not None and not service_url_allowed(platform, ags[name]):
                raise LaunchInvalid("foreign_service", f"The grade service's {name} URL is not on the platform's "
                                                       "hosts (`sabaq-lti register --service-host` adds one).")
    return Launch(platform, nonce, claims, str(kind), deployment_id, sub)


def _decoded(token: str, platform: Platform) -> dict[str, Any]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as error:
        raise LaunchInvalid("bad_id_token", f"The id_token is not a JWT: {error}") from None
    if header.get("alg") != "RS256":
        raise LaunchInvalid("wrong_algorithm", "id_tokens must be signed with RS256.")
    try:
        key = _keyset(platform.keyset_url).get_signing_key_from_jwt(token)
    except jwt.PyJWKClientConnectionError as error:
        raise LaunchInvalid("keyset_unreachable", f"The platform's keyset could not be fetched: {error}") from None
    except jwt.PyJWTError as error:
        raise LaunchInvalid("unknown_key", f"The id_token's key is not in the platform's keyset: {error}") from None
    try:
        claims: dict[str, Any] = jwt.decode(
            token, key.key, algorithms=["RS256"], audience=platform.client_id, issuer=platform.issuer,
            leeway=LEEWAY, options={"require": ["exp", "iat", "iss", "aud", "sub", "nonce"]})
    except jwt.InvalidSignatureError:
        raise LaunchInvalid("bad_signature", "The id_token's signature does not verify with the platform's "
                                             "key.") from None
    except jwt.ExpiredSignatureError:
        raise LaunchInvalid("expired", "The id_token has expired.") from None
    except jwt.InvalidAudienceError:
        raise LaunchInvalid("wrong_audience", "The id_token was not issued for this tool's client id.") from None
    except jwt.InvalidIssuerError:
        raise LaunchInvalid("wrong_issuer", "The id_token's issuer is not the platform this login began "
                                            "with.") from None
    except jwt.MissingRequiredClaimError as error:
        raise LaunchInvalid("missing_claim", f"The id_token lacks the {error.claim!r} claim.") from None
    except jwt.PyJWTError as error:
        raise LaunchInvalid("bad_id_token", f"The id_token is not valid: {error}") from None
    return claims


def consume(launch: Launch) -> None:
    """Record the launch's nonce as used, inside the launch's transaction; a second use is a replay."""
    now = time.time()
    try:
        with transaction.atomic():
            UsedNonce.objects.create(nonce=launch.nonce, platform=launch.platform, used_at=now)
    except IntegrityError:
        raise LaunchInvalid("replayed", "This launch was already used: start again from the LMS.") from None
    UsedNonce.objects.filter(used_at__lt=now - 2 * STATE_SECONDS).delete()  # their states have expired
