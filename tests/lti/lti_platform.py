"""A small but strict LTI 1.3 platform (the LMS side) served on loopback for tests.

It speaks LTI Core 1.3 (OIDC third-party login), Security Framework 1.0 (JWKS, client-credentials tokens with JWT
client assertions), Deep Linking 2.0 and Assignment and Grade Services 2.0, and refuses what a real platform refuses.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import re
import secrets
import threading
import time
import traceback
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

if TYPE_CHECKING:
    import requests

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
AGS_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/"
SCOPES = [AGS_SCOPE + name for name in ("lineitem", "lineitem.readonly", "result.readonly", "score")]
LINEITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
CONTAINER_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ACTIVITY = ["Initialized", "Started", "InProgress", "Submitted", "Completed"]
GRADING = ["FullyGraded", "Pending", "PendingManual", "Failed", "NotReady"]
TIMESTAMP = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})")
AGS_PATH = re.compile(r"/ags/([^/]+)/lineitems(?:/(\d+)(/scores)?)?")
SKEW = 60
Reply = tuple[int, dict[str, str], bytes]


@dataclass
class User:
    sub: str
    name: str
    email: str
    roles: list[str]
    locale: str = "en-US"


@dataclass
class Link:
    id: str
    title: str
    url: str
    custom: dict[str, str] = field(default_factory=dict)
    lineitem: str | None = None


@dataclass
class Score:
    lineitem: str
    user_id: str
    score_given: float | None
    score_maximum: float | None
    activity_progress: str
    grading_progress: str
    timestamp: str
    comment: str | None
    raw: dict[str, Any]


@dataclass
class _Tool:
    client_id: str
    deployment_id: str
    deployments: set[str]
    login_url: str
    redirect_uris: list[str]
    jwks_url: str
    target_link_uri: str
    keys: dict[str, RSAKey] = field(default_factory=dict)


class Refused(ValueError):
    """A refusal: the HTTP status and the JSON error body the platform answers."""

    def __init__(self, status: int, error: str, description: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {error}: {description}")
        self.reply = _json(status, {"error": error, "error_description": description}, headers=headers)


class LaunchError(AssertionError):
    """A launch driven by Platform.launch did not go the way a browser's would."""


def _require(checks: list[tuple[bool, str]], status: int = 400, error: str = "invalid_request") -> None:
    for ok, why in checks:
        if not ok:
            raise Refused(status, error, why)


def _json(status: int, data: Any, ctype: str = "application/json", headers: dict[str, str] | None = None) -> Reply:
    return status, {"Content-Type": ctype, **(headers or {})}, json.dumps(data).encode()


def _html(status: int, title: str, body: str) -> Reply:
    page = f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>'
    return status, {"Content-Type": "text/html; charset=utf-8"}, f"{page}<body>{body}</body></html>".encode()


def _media_type(headers: Message) -> str:
    return (headers.get("Content-Type") or "").split(";")[0].strip().lower()


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _audience(claims: dict[str, Any], expected: str) -> bool:
    aud = claims.get("aud")
    return expected in (aud if isinstance(aud, list) else [aud])


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, parts.hostname or "", parts.port or {"http": 80, "https": 443}.get(parts.scheme)


def _b64(data: bytes | dict[str, Any]) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _peek(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and claims of a compact JWT, not verified."""
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("a JWT has three dot-separated parts")
    header, claims = (json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))) for part in parts[:2])
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise ValueError("JWT header and claims must be JSON objects")
    return header, claims


def _timestamp(value: Any) -> datetime | None:
    """An ISO 8601 date-time with seconds and a time zone, or None."""
    match = TIMESTAMP.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return None
    zone = "+00:00" if match[3] == "Z" else match[3]
    try:
        return datetime.fromisoformat(f"{match[1]}.{(match[2] or '0')[:6].ljust(6, '0')}{zone}")
    except ValueError:
        return None


class _Forms(HTMLParser):
    """The forms of an HTML page: (action, method, fields of its named inputs)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.forms.append((named.get("action", ""), named.get("method", "get").lower(), {}))
        elif tag == "input" and self.forms and named.get("name") and named.get("type") not in ("submit", "button"):
            self.forms[-1][2][named["name"]] = named.get("value", "")


def _first_form(page: str, base: str) -> tuple[str, str, dict[str, str]]:
    parser = _Forms()
    parser.feed(page)
    if not parser.forms:
        raise LaunchError(f"expected an HTML form from {base}, got: {page[:500]}")
    action, method, fields = parser.forms[0]
    return urljoin(base, action), method, fields


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    platform: Platform


class _Handler(BaseHTTPRequestHandler):
    server_version = "SabaqTestPlatform/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: tests read the platform's records, not its log."""

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        status, headers, data = cast(_Server, self.server).platform.handle(self.command, self.path, self.headers, body)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _serve


class Platform:
    """An LMS with one course, its users, resource links and line items, for one or more registered tools."""

    context_id: str = "course-1"
    context_title: str = "Course One"

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": secrets.token_hex(8), "alg": "RS256", "use": "sig"})
        self.lock = threading.RLock()
        self.guid = str(uuid.uuid4())
        self.url = self.issuer = self.auth_url = self.token_url = self.jwks_url = ""
        self.tools: dict[str, _Tool] = {}
        self.users: dict[str, User] = {}
        self._links: dict[str, Link] = {}
        self.lineitems: dict[str, dict[str, Any]] = {}
        self.scores: list[Score] = []
        self.score_attempts = 0
        self.fail_next_scores = 0
        self.token_requests: list[dict[str, Any]] = []
        self.deep_link_items: list[dict[str, Any]] = []
        self.issued: list[tuple[str, str, str]] = []
        self._hints: dict[str, tuple[str, str, str | None, bool]] = {}  # hint -> client, user, link, deep linking
        self._dl_data: dict[str, str] = {}  # deep-linking data -> client_id, until a response uses it
        self._tokens: dict[str, tuple[set[str], float]] = {}  # access token -> scopes, expiry
        self._jtis: set[tuple[str, str]] = set()
        self._last_score: dict[tuple[str, str], datetime] = {}
        self._counter = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Platform:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.platform = self
        self.url = self.issuer = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.auth_url, self.token_url, self.jwks_url = f"{self.url}/auth", f"{self.url}/token", f"{self.url}/jwks"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> Platform:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def register_tool(self, client_id: str, deployment_id: str, login_url: str, redirect_uris: list[str],
                      jwks_url: str, target_link_uri: str) -> None:
        """Register (again: keeping earlier deployments) a tool; launches go to the last one unless told."""
        with self.lock:
            previous = self.tools.pop(client_id, None)
            deployments = {deployment_id} | (previous.deployments if previous else set())
            self.tools[client_id] = _Tool(client_id, deployment_id, deployments, login_url, list(redirect_uris),
                                          jwks_url, target_link_uri)

    def add_user(self, user: User) -> None:
        with self.lock:
            self.users[user.sub] = user

    def add_link(self, link: Link) -> None:
        with self.lock:
            self._links[link.id] = link

    def links(self) -> dict[str, Link]:
        with self.lock:
            return dict(self._links)

    def expire_tokens(self) -> None:
        """Make every access token issued so far expired."""
        with self.lock:
            self._tokens = {token: (scopes, 0.0) for token, (scopes, _) in self._tokens.items()}

    def create_lineitem(self, label: str, score_maximum: float, resource_link_id: str | None = None,
                        resource_id: str | None = None, tag: str | None = None) -> str:
        """A line item in the current context (its link may be added later; a known one without gets it)."""
        data = {"label": label, "scoreMaximum": score_maximum, "resourceLinkId": resource_link_id,
                "resourceId": resource_id, "tag": tag}
        data = {k: v for k, v in data.items() if v is not None}
        return str(self._new_lineitem(self.context_id, data, known_link=False)["id"])

    def _tool(self, client_id: str | None = None) -> _Tool:
        with self.lock:
            if client_id is None and self.tools:
                return list(self.tools.values())[-1]
            if client_id not in self.tools:
                raise Refused(400, "invalid_request", f"no tool is registered with client_id {client_id!r}")
            return self.tools[client_id]

    def start_url(self, user_sub: str, link_id: str | None = None, deep_linking: bool = False, frame: bool = False,
                  client_id: str | None = None) -> str:
        """The platform page that starts a launch (third-party login initiation), or a course page framing it."""
        query = {"user": user_sub, "link": link_id, "deep_linking": "1" if deep_linking else None,
                 "client_id": client_id, "frame": "1" if frame else None}
        return f"{self.url}/start?{urlencode({k: v for k, v in query.items() if v is not None})}"

    def launch(self, http: requests.Session, user_sub: str, link_id: str | None = None, deep_linking: bool = False,
               client_id: str | None = None) -> requests.Response:
        """Do what a browser does from the start page to the tool's launch POST; return the tool's answer to it
        (after any redirects it answers, as a browser follows them)."""
        start = http.get(self.start_url(user_sub, link_id, deep_linking, client_id=client_id), allow_redirects=False,
                         timeout=60)
        if start.status_code != 302:
            raise LaunchError(f"the platform did not start the launch: {start.status_code} {start.text}")
        login = http.get(start.headers["Location"], allow_redirects=False, timeout=60)
        if login.is_redirect:
            action, method, fields = urljoin(login.url, login.headers["Location"]), "get", dict[str, str]()
        else:
            action, method, fields = _first_form(login.text, login.url)
        if action.split("?")[0] != self.auth_url:
            raise LaunchError(f"the tool's login answer ({login.status_code}) leads to {action}, not {self.auth_url}")
        if method == "post":
            auth = http.post(action, data=fields, allow_redirects=False, timeout=60)
        else:
            page = action.split("?")[0] if fields else action  # a GET form's fields replace the action's query
            auth = http.get(page, params=fields, allow_redirects=False, timeout=60)
        if auth.status_code != 200:
            raise LaunchError(f"the platform refused the authentication request: {auth.status_code} {auth.text}")
        action, _, fields = _first_form(auth.text, auth.url)
        return http.post(action, data=fields, timeout=60)

    def sign(self, claims: dict[str, Any], key: RSAKey | None = None, kid: str | None = None,
             alg: str = "RS256") -> str:
        """A JWT signed by the platform's key or another; kid defaults to the key's ("" leaves it out).

        alg "none" gives an unsigned JWT and "HS256" one keyed with the RSA public key (the alg-confusion attack)."""
        key = key or self.key
        kid = key.kid if kid is None else kid
        header = {"typ": "JWT", "alg": alg, **({"kid": kid} if kid else {})}
        if alg != "none" and not alg.startswith("HS"):
            return jwt.encode(header, claims, key, algorithms=[alg])
        signed = f"{_b64(header)}.{_b64(claims)}"
        digest = getattr(hashlib, f"sha{alg[2:]}", hashlib.sha256)
        mac = b"" if alg == "none" else hmac.new(key.as_pem(private=False), signed.encode(), digest).digest()
        return f"{signed}.{_b64(mac)}"

    def id_token_claims(self, user_sub: str, nonce: str, link_id: str | None = None, deep_linking: bool = False,
                        client_id: str | None = None) -> dict[str, Any]:
        """The claims /auth issues; a deep-linking request's data is remembered for the tool's response."""
        with self.lock:
            tool, user, now = self._tool(client_id), self.users[user_sub], int(time.time())
            given, _, family = user.name.partition(" ")
            claims: dict[str, Any] = {
                "iss": self.issuer, "aud": tool.client_id, "azp": tool.client_id, "sub": user.sub,
                "exp": now + 300, "iat": now, "nonce": nonce,
                "name": user.name, "given_name": given, "family_name": family, "email": user.email,
                LTI + "version": "1.3.0", LTI + "deployment_id": tool.deployment_id, LTI + "roles": list(user.roles),
                LTI + "context": {"id": self.context_id, "label": self.context_id, "title": self.context_title,
                                  "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"]},
                LTI + "tool_platform": {"guid": self.guid, "name": "Sabaq test platform",
                                        "product_family_code": "sabaq-test"},
                LTI + "launch_presentation": {"document_target": "iframe", "locale": user.locale,
                                              "return_url": f"{self.url}/return"},
            }
            ags: dict[str, Any] = {"scope": list(SCOPES), "lineitems": f"{self.url}/ags/{self.context_id}/lineitems"}
            if deep_linking:
                data = secrets.token_urlsafe(16)
                self._dl_data[data] = tool.client_id
                claims[LTI + "message_type"] = "LtiDeepLinkingRequest"
                claims[LTI + "target_link_uri"] = tool.target_link_uri
                claims[DL + "deep_linking_settings"] = {
                    "deep_link_return_url": f"{self.url}/deep-link-return", "accept_types": ["ltiResourceLink"],
                    "accept_presentation_document_targets": ["iframe", "window"], "accept_multiple": False,
                    "auto_create": True, "data": data}
            else:
                link = self._links[link_id or ""]
                claims[LTI + "message_type"] = "LtiResourceLinkRequest"
                claims[LTI + "target_link_uri"] = link.url
                claims[LTI + "resource_link"] = {"id": link.id, "title": link.title}
                claims[LTI + "custom"] = dict(link.custom)
                ags.update({"lineitem": link.lineitem} if link.lineitem else {})
            claims[AGS_CLAIM] = ags
            return claims

    # -- HTTP ------------------------------------------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: Message, body: bytes) -> Reply:
        """Answer one HTTP request."""
        parts = urlsplit(target)
        path, query = parts.path, dict(parse_qsl(parts.query, keep_blank_values=True))
        routes = {"/jwks": ("GET",), "/start": ("GET",), "/auth": ("GET", "POST"), "/token": ("POST",),
                  "/deep-link-return": ("POST",), "/return": ("GET",)}
        try:
            if ags := AGS_PATH.fullmatch(path):
                return self._ags(method, ags[1], ags[2], bool(ags[3]), query, headers, body)
            if path not in routes:
                return 404, {"Content-Type": "text/plain"}, f"no such page: {path}".encode()
            if method not in routes[path]:
                return 405, {"Allow": ", ".join(routes[path]), "Content-Type": "text/plain"}, b"method not allowed"
            if path == "/jwks":
                return _json(200, {"keys": [self.key.as_dict(private=False)]})
            if path == "/start":
                return self._start(query)
            if path == "/return":
                notes = "".join(f"<p class={k}>{html.escape(v)}</p>" for k, v in query.items() if k.startswith("lti_"))
                return _html(200, "Platform: back from the tool", f"<h1>Back at the platform</h1>{notes}")
            form: dict[str, str] = {}
            if method == "POST":
                kind = _media_type(headers)
                _require([(kind == "application/x-www-form-urlencoded", f"the body must be a form, not {kind!r}")])
                form = dict(parse_qsl(body.decode(), keep_blank_values=True))
            if path == "/auth":
                return self._auth({**query, **form})
            return self._token(form) if path == "/token" else self._deep_link_return(form)
        except Refused as refused:
            return refused.reply
        except Exception:
            return 500, {"Content-Type": "text/plain"}, traceback.format_exc().encode()

    def _start(self, query: dict[str, str]) -> Reply:
        user, link_id, deep_linking = query.get("user", ""), query.get("link"), query.get("deep_linking") == "1"
        with self.lock:
            tool = self._tool(query.get("client_id"))
            _require([(deep_linking != (link_id is not None), "a launch names either a link or deep_linking")])
            _require([(user in self.users, f"no user {user!r} on this platform"),
                      (link_id is None or link_id in self._links, f"no link {link_id!r} in this course")],
                     404, "not_found")
            title = self._links[link_id].title if link_id else "Add content"
            if query.get("frame") == "1":
                src = html.escape(self.start_url(user, link_id, deep_linking, client_id=query.get("client_id")))
                frame = f'<h1>{html.escape(title)}</h1><iframe id="tool" name="tool" width="100%" height="900" '
                return _html(200, f"Platform: {title}", f'{frame}src="{src}"></iframe>')
            hint = secrets.token_urlsafe(16)
            self._hints[hint] = (tool.client_id, user, link_id, deep_linking)
            target = self._links[link_id].url if link_id else tool.target_link_uri
        params = {"iss": self.issuer, "login_hint": user, "target_link_uri": target, "lti_message_hint": hint,
                  "client_id": tool.client_id, "lti_deployment_id": tool.deployment_id}
        location = tool.login_url + ("&" if "?" in tool.login_url else "?") + urlencode(params)
        return 302, {"Location": location, "Cache-Control": "no-store"}, b""

    def _auth(self, p: dict[str, str]) -> Reply:
        names = "scope response_type response_mode prompt client_id redirect_uri login_hint nonce state"
        _require([(bool(p.get(name)), f"the authentication request has no {name}")
                  for name in [*names.split(), "lti_message_hint"]])
        _require([("openid" in p["scope"].split(), "scope must be openid")], error="invalid_scope")
        _require([(p["response_type"] == "id_token", "response_type must be id_token")],
                 error="unsupported_response_type")
        _require([(p["response_mode"] == "form_post", "response_mode must be form_post"),
                  (p["prompt"] == "none", "prompt must be none")])
        with self.lock:
            tool, hint, uri = self.tools.get(p["client_id"]), self._hints.get(p["lti_message_hint"]), p["redirect_uri"]
            _require([(tool is not None, f"client_id {p['client_id']!r} is unknown")], 400, "unauthorized_client")
            assert tool is not None
            _require([(uri in tool.redirect_uris, f"redirect_uri {uri!r} is not registered for the client"),
                      (hint is not None, "lti_message_hint was not issued by this platform"),
                      (hint is None or hint[0] == tool.client_id, "lti_message_hint was issued for another client")])
            assert hint is not None
            _require([(p["login_hint"] in self.users, f"login_hint {p['login_hint']!r} is not a user here"),
                      (hint[1] == p["login_hint"], "login_hint is not the user the launch was started for")],
                     error="login_required")
            token = self.sign(self.id_token_claims(hint[1], p["nonce"], hint[2], hint[3], tool.client_id))
            self.issued.append((token, p["state"], p["redirect_uri"]))
        hidden = "".join(f'<input type="hidden" name="{name}" value="{html.escape(value)}">'
                         for name, value in (("id_token", token), ("state", p["state"])))
        body = (f'<form method="post" action="{html.escape(p["redirect_uri"])}">{hidden}'
                '<noscript><button type="submit">Continue to the tool</button></noscript></form>'
                "<script>document.forms[0].submit()</script>")
        return _html(200, "Platform: launching", body)

    # -- tool-signed JWTs and access tokens ------------------------------------------------------------------------

    def _verify(self, token: str, status: int, error: str) -> tuple[_Tool, dict[str, Any]]:
        """Check a tool-signed JWT (RS256, by kid, against the tool's JWKS) and its exp and iat."""
        try:
            header, claims = _peek(token)
        except ValueError as bad:
            raise Refused(status, error, f"not a JWT: {bad}") from None
        kid, iss = header.get("kid"), claims.get("iss")
        tool = self.tools.get(iss) if isinstance(iss, str) else None
        _require([(header.get("alg") == "RS256", f"the JWT alg must be RS256, not {header.get('alg')!r}"),
                  (isinstance(kid, str) and bool(kid), "the JWT header has no kid"),
                  (tool is not None, f"iss {claims.get('iss')!r} is not a registered client_id")], status, error)
        assert tool is not None and isinstance(kid, str)
        with self.lock:
            key = tool.keys.get(kid)
        if key is None:  # an unknown kid: the tool may have rotated its keys
            try:
                with urllib.request.urlopen(tool.jwks_url, timeout=5) as answer:
                    keys = {k["kid"]: RSAKey.import_key(k) for k in json.load(answer)["keys"]
                            if k.get("kty") == "RSA" and k.get("kid") and k.get("use", "sig") == "sig"}
            except Exception as failure:
                raise Refused(status, error, f"cannot read the tool's JWKS at {tool.jwks_url}: {failure}") from None
            with self.lock:
                tool.keys = keys
            _require([(kid in keys, f"kid {kid!r} is not in the tool's JWKS")], status, error)
            key = keys[kid]
        try:
            claims = dict(jwt.decode(token, key, algorithms=["RS256"]).claims)
        except (JoseError, ValueError) as bad:
            raise Refused(status, error, f"the JWT signature does not verify: {bad}") from None
        now = time.time()
        _require([(_number(claims.get("exp")) and claims["exp"] > now, "the JWT has no exp or has expired"),
                  (_number(claims.get("iat")) and claims["iat"] <= now + SKEW, "the JWT has no iat or a future one")],
                 status, error)
        return tool, claims

    def _token(self, form: dict[str, str]) -> Reply:
        assertion = form.get("client_assertion", "")
        try:
            peeked = _peek(assertion)[1]
        except ValueError:
            peeked = {}
        with self.lock:
            self.token_requests.append(peeked)
        _require([(form.get("grant_type") == "client_credentials", "grant_type must be client_credentials")],
                 error="unsupported_grant_type")
        kind = form.get("client_assertion_type")
        _require([(kind == ASSERTION_TYPE, f"client_assertion_type must be {ASSERTION_TYPE}, not {kind!r}"),
                  (bool(assertion), "client_assertion is missing")])
        tool, claims = self._verify(assertion, 401, "invalid_client")
        jti = claims.get("jti")
        _require([(claims.get("sub") == tool.client_id, "iss and sub must both be the client_id"),
                  (_audience(claims, self.token_url), f"aud must be the token endpoint {self.token_url}"),
                  (isinstance(jti, str) and bool(jti), "the assertion has no jti")], 401, "invalid_client")
        with self.lock:
            _require([((tool.client_id, jti) not in self._jtis, f"jti {jti!r} was already used: replay refused")],
                     401, "invalid_client")
            self._jtis.add((tool.client_id, str(jti)))
        granted = list(dict.fromkeys(s for s in form.get("scope", "").split() if s in SCOPES))
        _require([(bool(granted), f"request one or more of: {' '.join(SCOPES)}")], error="invalid_scope")
        token = secrets.token_urlsafe(32)
        with self.lock:
            self._tokens[token] = (set(granted), time.time() + 3600)
        answer = {"access_token": token, "token_type": "Bearer", "expires_in": 3600, "scope": " ".join(granted)}
        return _json(200, answer, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    # -- Assignment and Grade Services -----------------------------------------------------------------------------

    def _bearer(self, headers: Message, *needed: str) -> None:
        scheme, _, token = (headers.get("Authorization") or "").partition(" ")
        with self.lock:
            entry = self._tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        scopes, expiry = entry or (set(), 0.0)
        challenge = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
        if expiry <= time.time():
            raise Refused(401, "invalid_token", "a current Bearer access token from /token is required", challenge)
        _require([(bool(scopes & {AGS_SCOPE + name for name in needed}), f"the token lacks {' or '.join(needed)}")],
                 403, "insufficient_scope")

    def _body(self, headers: Message, body: bytes, ctype: str) -> dict[str, Any]:
        if _media_type(headers) != ctype:
            raise Refused(415, "unsupported_media_type", f"the body must be {ctype}, not {_media_type(headers)!r}")
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        _require([(isinstance(data, dict), "the body is not a JSON object")])
        return cast("dict[str, Any]", data)

    def _new_lineitem(self, context: str, data: dict[str, Any], url: str | None = None, known_link: bool = True
                      ) -> dict[str, Any]:
        """Check a line item and store it under url, or under a new URL in context."""
        with self.lock:
            _require([
                (isinstance(data.get("label"), str) and bool(data["label"].strip()), "label is required"),
                (_number(data.get("scoreMaximum")) and data["scoreMaximum"] > 0, "scoreMaximum must be > 0"),
                (not known_link or data.get("resourceLinkId", "") in {"", *self._links}, "unknown resourceLinkId"),
                (all(isinstance(data.get(k, ""), str) for k in ("resourceId", "tag")), "resourceId and tag are text"),
                (url is None or data.get("id", url) == url, "a line item's id cannot change"),
            ])
            if url is None:
                self._counter += 1
                url = f"{self.url}/ags/{context}/lineitems/{self._counter}"
            item = self.lineitems[url] = {**data, "id": url}
            link = self._links.get(item.get("resourceLinkId", ""))
            if link is not None and link.lineitem is None:
                link.lineitem = url
            return item

    def _ags(self, method: str, context: str, number: str | None, scores: bool, query: dict[str, str],
             headers: Message, body: bytes) -> Reply:
        container = f"{self.url}/ags/{context}/lineitems"
        url = f"{container}/{number}"
        if scores:
            _require([(method == "POST", "scores are only POSTed")], 405, "method_not_allowed")
            with self.lock:
                self.score_attempts += 1
                if self.fail_next_scores > 0:
                    self.fail_next_scores -= 1
                    raise Refused(503, "temporarily_unavailable", "the gradebook is unavailable, retry later")
        needed = ("score",) if scores else ("lineitem", "lineitem.readonly") if method == "GET" else ("lineitem",)
        self._bearer(headers, *needed)
        with self.lock:
            items = [item for key, item in self.lineitems.items() if key.startswith(container + "/")]
            known = url in self.lineitems if number else context == self.context_id or bool(items)
        _require([(known, f"no such line item or context: {url if number else context}")], 404, "not_found")
        if scores:
            return self._score(url, self._body(headers, body, SCORE_TYPE))
        if number is None and method == "GET":
            for name, key in (("resource_link_id", "resourceLinkId"), ("resource_id", "resourceId"), ("tag", "tag")):
                items = [item for item in items if name not in query or item.get(key) == query[name]]
            limit = query.get("limit", "1")
            _require([(limit.isdigit() and int(limit) > 0, "limit must be a positive integer")])
            return _json(200, items[: int(query["limit"])] if "limit" in query else items, CONTAINER_TYPE)
        if number is None and method == "POST":
            item = self._new_lineitem(context, self._body(headers, body, LINEITEM_TYPE))
            return _json(201, item, LINEITEM_TYPE, {"Location": item["id"]})
        if number and method == "PUT":
            self._new_lineitem(context, self._body(headers, body, LINEITEM_TYPE), url)
        if number and method in ("GET", "PUT"):
            return _json(200, self.lineitems[url], LINEITEM_TYPE)
        if number and method == "DELETE":
            with self.lock:
                self.lineitems.pop(url, None)
                for link in self._links.values():
                    link.lineitem = None if link.lineitem == url else link.lineitem
            return 204, {}, b""
        raise Refused(405, "method_not_allowed", f"{method} is not allowed here")

    def _score(self, url: str, data: dict[str, Any]) -> Reply:
        when, given, maximum = _timestamp(data.get("timestamp")), data.get("scoreGiven"), data.get("scoreMaximum")
        _require([
            (when is not None, f"timestamp {data.get('timestamp')!r} is not an ISO 8601 date-time with a time zone"),
            (data.get("activityProgress") in ACTIVITY, f"activityProgress must be one of {ACTIVITY}"),
            (data.get("gradingProgress") in GRADING, f"gradingProgress must be one of {GRADING}"),
            (given is None or (_number(given) and given >= 0), "scoreGiven must be a number >= 0"),
            (given is None or maximum is not None, "scoreMaximum must come with scoreGiven"),
            (maximum is None or (_number(maximum) and maximum > 0), "scoreMaximum must be a number > 0"),
            (isinstance(data.get("comment", ""), str | None), "comment must be text"),
        ])
        assert when is not None
        with self.lock:
            user = data.get("userId")
            _require([(isinstance(user, str) and user in self.users, f"userId {user!r} is not a user here")])
            last = self._last_score.get((url, str(user)))
            _require([(last is None or when > last, f"timestamp {data['timestamp']} is not after the last score's")],
                     409, "conflict")
            self._last_score[(url, str(user))] = when
            self.scores.append(Score(url, str(user), given, maximum, data["activityProgress"], data["gradingProgress"],
                                     data["timestamp"], data.get("comment"), data))
        return _json(200, {})

    # -- Deep Linking ----------------------------------------------------------------------------------------------

    def _content_item(self, tool: _Tool, given: Any) -> dict[str, Any]:
        item: dict[str, Any] = given if isinstance(given, dict) else {}
        custom, line = item.get("custom", {}), item.get("lineItem")
        _require([
            (item.get("type") == "ltiResourceLink", "content item: only type ltiResourceLink is accepted"),
            (_origin(str(item.get("url"))) == _origin(tool.target_link_uri), "content item: url not on the tool host"),
            (isinstance(item.get("title"), str) and bool(item["title"]), "content item: a title is required"),
            (isinstance(custom, dict) and all(isinstance(v, str) for v in custom.values()), "custom: text values"),
            (line is None or (isinstance(line, dict) and _number(line.get("scoreMaximum")) and line["scoreMaximum"] > 0
                              and all(isinstance(line.get(k, ""), str) for k in ("label", "resourceId", "tag"))),
             "content item: lineItem needs a number scoreMaximum > 0 and text label, resourceId, tag"),
        ])
        return item

    def _deep_link_return(self, form: dict[str, str]) -> Reply:
        _require([(bool(form.get("JWT")), "the deep-linking response has no JWT form field")])
        tool, claims = self._verify(form["JWT"], 400, "invalid_request")
        items = claims.get(DL + "content_items", [])
        _require([
            (_audience(claims, self.issuer), f"aud must be the issuer {self.issuer}"),
            (isinstance(claims.get("nonce"), str) and bool(claims["nonce"]), "nonce is required"),
            (claims.get(LTI + "deployment_id") in tool.deployments, "deployment_id is not registered for the client"),
            (claims.get(LTI + "message_type") == "LtiDeepLinkingResponse", "message_type: LtiDeepLinkingResponse"),
            (claims.get(LTI + "version") == "1.3.0", "version must be 1.3.0"),
            (isinstance(items, list) and len(items) <= 1, "content_items: a list of at most one (accept_multiple)"),
        ])
        items = [self._content_item(tool, item) for item in items]
        with self.lock:
            data = claims.get(DL + "data")
            _require([(self._dl_data.get(str(data)) == tool.client_id, "data is not a pending deep-linking request's")])
            del self._dl_data[str(data)]
            made: list[Link] = []
            for item in items:
                number = len(self._links) + 1
                while f"link-{number}" in self._links:
                    number += 1
                link = Link(f"link-{number}", item["title"], item["url"], dict(item.get("custom", {})))
                self._links[link.id] = link
                if (line := item.get("lineItem")) is not None:
                    self._new_lineitem(self.context_id, {
                        "label": line.get("label") or link.title, "scoreMaximum": line["scoreMaximum"],
                        "resourceLinkId": link.id, **{k: line[k] for k in ("resourceId", "tag") if k in line}})
                made.append(link)
            self.deep_link_items.extend(items)
        entries = "".join(f'<li data-link-id="{html.escape(link.id)}">{html.escape(link.title)} '
                          f"({html.escape(link.id)})</li>" for link in made)
        note = f"<p class=msg>{html.escape(claims[DL + 'msg'])}</p>" if isinstance(claims.get(DL + "msg"), str) else ""
        return _html(200, "Platform: Content added", f"<h1>Content added</h1>{note}<ul>{entries}</ul>")
