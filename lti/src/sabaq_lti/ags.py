"""Assignment and Grade Services 2.0: the platform's access token, line items and scores.

The tool asks the platform's token endpoint for a bearer token with a client assertion (a
JWT signed by the tool's key, RFC 7523), keeps it until shortly before it expires, finds or
creates the line item of a resource link, and posts scores to it. Each call is one HTTP
request with a timeout; a refusal raises ``PlatformError`` with the platform's answer, and
the score outbox (``scores``) decides when to try again. Requests go only to the platform's own
hosts (``registry.service_url_allowed``), follow no redirect (a redirect would carry the token
elsewhere), and each has a deadline for the whole exchange, so a platform that answers slowly
holds up nobody but itself.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urlsplit, urlunsplit
from urllib.request import HTTPRedirectHandler, Request, build_opener

from . import keys
from . import messages as m
from .errors import PlatformError
from .models import Platform
from .registry import service_url_allowed

TIMEOUT = 10.0
"""Seconds any one read or write of a request may wait."""
DEADLINE = 30.0
"""Seconds a whole request may take, however its bytes trickle in."""
LINEITEM = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEMS = "application/vnd.ims.lis.v2.lineitemcontainer+json"
SCORE = "application/vnd.ims.lis.v1.score+json"
MAX_ANSWER = 1024 * 1024

_TOKENS: dict[tuple[int, str], tuple[str, float]] = {}
_TOKENS_LOCK = threading.Lock()


class _NoRedirects(HTTPRedirectHandler):
    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> None:
        return None  # answered as the 3xx error it is


_OPENER = build_opener(_NoRedirects)


def _call(platform: Platform, method: str, url: str, body: bytes | None,
          headers: dict[str, str]) -> tuple[int, bytes]:
    if not service_url_allowed(platform, url):
        raise PlatformError("foreign_service", f"{url!r} is not one of the platform's hosts: nothing was sent.")

    def exchange() -> tuple[int, bytes]:
        with _OPENER.open(Request(url, data=body, method=method, headers=headers), timeout=TIMEOUT) as answer:
            return int(answer.status), answer.read(MAX_ANSWER)

    outcome: list[tuple[int, bytes] | BaseException] = []

    def run() -> None:
        try:
            outcome.append(exchange())
        except BaseException as error:  # handed to the caller's thread
            outcome.append(error)

    # a daemon thread: a request past its deadline is abandoned (it ends with its socket's
    # timeout, or with the process) and never holds the caller or the process's exit
    worker = threading.Thread(target=run, name="sabaq-lti-ags", daemon=True)
    worker.start()
    worker.join(DEADLINE)
    if not outcome:
        raise PlatformError("timeout", f"{method} {url} took more than {DEADLINE:g} s.")
    result = outcome[0]
    if isinstance(result, HTTPError):
        detail = result.read(2048).decode("utf-8", "replace")
        raise PlatformError(f"http_{result.code}", f"{method} {url} answered {result.code}: {detail}") from None
    if isinstance(result, (URLError, OSError)):
        raise PlatformError("unreachable", f"{method} {url} failed: {result}") from None
    if isinstance(result, BaseException):
        raise result
    return result


def forget_token(platform: Platform) -> None:
    """Drop the cached tokens of ``platform`` (after a 401: it may have been revoked)."""
    with _TOKENS_LOCK:
        for cache_key in [k for k in _TOKENS if k[0] == platform.id]:
            del _TOKENS[cache_key]


def access_token(platform: Platform, scopes: tuple[str, ...] = (m.SCOPE_LINEITEM, m.SCOPE_SCORE)) -> str:
    """A bearer token for ``scopes`` from the platform's token endpoint (cached until near expiry)."""
    cache_key = (platform.id, " ".join(scopes))
    with _TOKENS_LOCK:
        cached = _TOKENS.get(cache_key)
    if cached and cached[1] > time.time():
        return cached[0]
    now = int(time.time())
    assertion = keys.sign({"iss": platform.client_id, "sub": platform.client_id, "aud": platform.auth_token_url,
                           "iat": now, "exp": now + 300, "jti": secrets.token_urlsafe(24)})
    form = urlencode({"grant_type": "client_credentials",
                      "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                      "client_assertion": assertion, "scope": " ".join(scopes)}).encode("ascii")
    _status, body = _call(platform, "POST", platform.auth_token_url, form,
                          {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"})
    try:
        answer = json.loads(body)
        token = str(answer["access_token"])
        lifetime = float(answer.get("expires_in", 3600))
    except (ValueError, KeyError, TypeError):
        raise PlatformError("bad_token_answer", "The platform's token endpoint did not answer an access token.") \
            from None
    with _TOKENS_LOCK:
        _TOKENS[cache_key] = (token, time.time() + max(0.0, lifetime - 60))
    return token


def _json(platform: Platform, method: str, url: str, payload: Any = None, content_type: str = "",
          accept: str = "application/json") -> Any:
    headers = {"Authorization": f"Bearer {access_token(platform)}", "Accept": accept}
    body = None
    if payload is not None:
        body = json.dumps(payload).encode("utf-8")
        headers["Content-Type"] = content_type
    try:
        _status, answer = _call(platform, method, url, body, headers)
    except PlatformError as error:
        if error.code == "http_401":
            forget_token(platform)
        raise
    if not answer.strip():
        return None
    try:
        return json.loads(answer)
    except ValueError:
        raise PlatformError("bad_answer", f"{method} {url} did not answer JSON.") from None


def with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def find_or_create_lineitem(platform: Platform, lineitems: str, resource_link_id: str, resource_id: str,
                            label: str, score_maximum: float) -> str:
    """The line item of this resource link (``resourceId`` is the block), made if there is none."""
    found = _json(platform, "GET", with_query(lineitems, {"resource_link_id": resource_link_id,
                                                          "resource_id": resource_id}), accept=LINEITEMS)
    for item in found if isinstance(found, list) else []:
        if isinstance(item, dict) and item.get("resourceId") == resource_id and isinstance(item.get("id"), str):
            return str(item["id"])
    made = _json(platform, "POST", lineitems, {"scoreMaximum": score_maximum, "label": label,
                                               "resourceId": resource_id, "resourceLinkId": resource_link_id,
                                               "tag": "sabaq"}, LINEITEM, LINEITEM)
    if not isinstance(made, dict) or not isinstance(made.get("id"), str):
        raise PlatformError("bad_lineitem", "The platform made a line item without an id.")
    return str(made["id"])


def scores_url(lineitem: str) -> str:
    parts = urlsplit(lineitem)
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/") + "/scores", parts.query, parts.fragment))


def post_score(platform: Platform, lineitem: str, user_sub: str, score: float, max_score: float,
               timestamp: str) -> None:
    """Post a final score (``Completed``, ``FullyGraded``) for ``user_sub`` to ``lineitem``."""
    _json(platform, "POST", scores_url(lineitem), {
        "userId": user_sub, "scoreGiven": score, "scoreMaximum": max_score, "activityProgress": "Completed",
        "gradingProgress": "FullyGraded", "timestamp": timestamp}, SCORE)
