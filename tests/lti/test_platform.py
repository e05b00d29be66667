"""The test LTI platform refuses what a real platform refuses, and grants what it grants."""

from __future__ import annotations

import base64
import html
import json
import re
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

sys.path.insert(0, str(Path(__file__).parent))

from lti_platform import AGS_SCOPE, DL, LTI, SCORE_TYPE, Link, Platform, User

CLIENT, DEPLOYMENT = "sabaq-tool", "deployment-1"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"


class FakeTool(BaseHTTPRequestHandler):
    """Just enough of a tool: its JWKS, an OIDC login (302 or an HTML form) and a launch checking the id_token."""

    key: RSAKey
    form_login = False

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: str, ctype: str = "text/html", **headers: str) -> None:
        self.send_response(status)
        for name, value in {"Content-Type": ctype, **headers}.items():
            self.send_header(name.replace("_", "-"), value)
        self.send_header("Content-Length", str(len(body.encode())))
        self.end_headers()
        self.wfile.write(body.encode())

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path == "/jwks":
            return self._send(200, json.dumps({"keys": [self.key.as_dict(private=False)]}), "application/json")
        login = dict(parse_qsl(url.query))
        state = uuid.uuid4().hex
        params = {"scope": "openid", "response_type": "id_token", "response_mode": "form_post", "prompt": "none",
                  "client_id": login["client_id"], "redirect_uri": f"http://{self.headers['Host']}/launch",
                  "login_hint": login["login_hint"], "lti_message_hint": login["lti_message_hint"],
                  "state": state, "nonce": uuid.uuid4().hex}
        cookie = f"lti-state={state}; Path=/; HttpOnly"
        if not self.form_login:
            return self._send(302, "", Location=f"{login['iss']}/auth?{urlencode(params)}", Set_Cookie=cookie)
        fields = "".join(f'<input type=hidden name="{k}" value="{html.escape(v)}">' for k, v in params.items())
        self._send(200, f'<form method=post action="{login["iss"]}/auth">{fields}</form>', Set_Cookie=cookie)

    def do_POST(self) -> None:
        form = dict(parse_qsl(self.rfile.read(int(self.headers["Content-Length"])).decode()))
        if f"lti-state={form['state']}" not in (self.headers.get("Cookie") or ""):
            return self._send(400, "state does not match the cookie", "text/plain")
        payload = form["id_token"].split(".")[1]
        issuer = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["iss"]
        with urllib.request.urlopen(f"{issuer}/jwks", timeout=5) as answer:
            keys = KeySet.import_key_set(json.load(answer))
        claims = jwt.decode(form["id_token"], keys, algorithms=["RS256"]).claims
        self._send(200, f"launched {claims['sub']} {claims[LTI + 'message_type']}", "text/plain")


@pytest.fixture(scope="module")
def fake_tool() -> Iterator[str]:
    FakeTool.key = RSAKey.generate_key(2048, parameters={"kid": "tool-key-1", "alg": "RS256", "use": "sig"})
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeTool)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture()
def platform(fake_tool: str) -> Iterator[Platform]:
    with Platform() as lms:
        launch = f"{fake_tool}/launch"
        lms.register_tool(CLIENT, DEPLOYMENT, f"{fake_tool}/login", [launch], f"{fake_tool}/jwks", launch)
        lms.add_user(User("learner-1", "Ada Lovelace", "ada@example.org", [LEARNER]))
        lms.add_user(User("teacher-1", "Grace Hopper", "grace@example.org", [INSTRUCTOR]))
        lms.add_link(Link("unit-a", "Unit A", f"{fake_tool}/launch?unit=a", {"unit": "a"}))
        yield lms


def assertion(lms: Platform, key: RSAKey | None = None, **changes: Any) -> str:
    now = int(time.time())
    claims = {"iss": CLIENT, "sub": CLIENT, "aud": lms.token_url, "iat": now, "exp": now + 300,
              "jti": uuid.uuid4().hex, **changes}
    return lms.sign(claims, key=key or FakeTool.key, kid=FakeTool.key.kid)


def ask_token(lms: Platform, client_assertion: str, scope: str = AGS_SCOPE + "score") -> requests.Response:
    return requests.post(lms.token_url, data={
        "grant_type": "client_credentials", "scope": scope, "client_assertion": client_assertion,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, timeout=5)


def error_of(response: requests.Response) -> tuple[int, str, str]:
    body = response.json()
    return response.status_code, body["error"], body["error_description"]


def test_auth_refuses_an_unregistered_redirect_uri_and_a_missing_nonce(platform: Platform, fake_tool: str) -> None:
    start = requests.get(platform.start_url("learner-1", "unit-a"), allow_redirects=False, timeout=5)
    assert start.status_code == 302
    login = parse_qs(urlsplit(start.headers["Location"]).query)
    assert start.headers["Location"].startswith(f"{fake_tool}/login?")
    assert {k: v[0] for k, v in login.items() if k != "lti_message_hint"} == {
        "iss": platform.issuer, "login_hint": "learner-1", "target_link_uri": f"{fake_tool}/launch?unit=a",
        "client_id": CLIENT, "lti_deployment_id": DEPLOYMENT}
    good = {"scope": "openid", "response_type": "id_token", "response_mode": "form_post", "prompt": "none",
            "client_id": CLIENT, "redirect_uri": f"{fake_tool}/launch", "login_hint": "learner-1",
            "lti_message_hint": login["lti_message_hint"][0], "state": "st-1", "nonce": "n-1"}

    wrong_uri = requests.get(platform.auth_url, params={**good, "redirect_uri": f"{fake_tool}/elsewhere"}, timeout=5)
    status, error, why = error_of(wrong_uri)
    assert (status, error) == (400, "invalid_request") and "redirect_uri" in why
    no_nonce = requests.post(platform.auth_url, data={k: v for k, v in good.items() if k != "nonce"}, timeout=5)
    assert error_of(no_nonce)[:2] == (400, "invalid_request") and "nonce" in error_of(no_nonce)[2]
    forged = requests.get(platform.auth_url, params={**good, "lti_message_hint": "made-up"}, timeout=5)
    assert error_of(forged)[:2] == (400, "invalid_request")
    other_user = requests.get(platform.auth_url, params={**good, "login_hint": "teacher-1"}, timeout=5)
    assert error_of(other_user)[:2] == (400, "login_required")
    assert platform.issued == []

    issued = requests.get(platform.auth_url, params=good, timeout=5)
    assert issued.status_code == 200 and "document.forms[0].submit()" in issued.text
    assert f'<form method="post" action="{fake_tool}/launch">' in issued.text
    token, state, redirect_uri = platform.issued[0]
    assert (state, redirect_uri) == ("st-1", f"{fake_tool}/launch") and html.escape(token) in issued.text
    keys = KeySet.import_key_set(requests.get(platform.jwks_url, timeout=5).json())
    claims = jwt.decode(token, keys, algorithms=["RS256"]).claims
    assert claims["nonce"] == "n-1" and claims["aud"] == CLIENT and claims["sub"] == "learner-1"
    assert claims[LTI + "message_type"] == "LtiResourceLinkRequest" and claims[LTI + "custom"] == {"unit": "a"}
    assert claims[LTI + "resource_link"] == {"id": "unit-a", "title": "Unit A"}

    page = requests.get(platform.start_url("learner-1", "unit-a", frame=True), timeout=5)
    assert "<title>Platform: Unit A</title>" in page.text and '<iframe id="tool" name="tool"' in page.text


@pytest.mark.parametrize("form_login", [False, True])
def test_launch_follows_a_redirect_or_a_form_login(platform: Platform, form_login: bool) -> None:
    FakeTool.form_login = form_login
    try:
        with requests.Session() as browser:
            assert platform.launch(browser, "learner-1", "unit-a").text == "launched learner-1 LtiResourceLinkRequest"
            assert platform.launch(browser, "teacher-1", deep_linking=True).text.endswith("LtiDeepLinkingRequest")
    finally:
        FakeTool.form_login = False
    assert len(platform.issued) == 2


def test_token_refuses_a_replayed_jti_and_a_bad_signature(platform: Platform) -> None:
    good = assertion(platform)
    granted = ask_token(platform, good, f"{AGS_SCOPE}score {AGS_SCOPE}lineitem.readonly https://example.org/admin")
    assert granted.status_code == 200
    body = granted.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600 and body["access_token"]
    assert body["scope"] == f"{AGS_SCOPE}score {AGS_SCOPE}lineitem.readonly"

    status, error, why = error_of(ask_token(platform, good))
    assert (status, error) == (401, "invalid_client") and "replay" in why
    forged = assertion(platform, key=RSAKey.generate_key(2048))
    status, error, why = error_of(ask_token(platform, forged))
    assert (status, error) == (401, "invalid_client") and "signature" in why
    assert error_of(ask_token(platform, assertion(platform, aud="https://elsewhere/token")))[:2] == (
        401, "invalid_client")
    assert error_of(ask_token(platform, assertion(platform), "openid"))[:2] == (400, "invalid_scope")
    assert len(platform.token_requests) == 5 and platform.token_requests[0]["iss"] == CLIENT


def test_scores_are_refused_out_of_order_mistyped_for_strangers_and_while_failing(platform: Platform) -> None:
    lineitem = platform.create_lineitem("Unit A", 10, resource_link_id="unit-a")
    assert platform.links()["unit-a"].lineitem == lineitem
    token = ask_token(platform, assertion(platform)).json()["access_token"]
    now = datetime.now(UTC)

    def post(user: str = "learner-1", when: datetime = now, ctype: str = SCORE_TYPE) -> requests.Response:
        score = {"userId": user, "scoreGiven": 7, "scoreMaximum": 10, "activityProgress": "Completed",
                 "gradingProgress": "FullyGraded", "timestamp": when.isoformat()}
        headers = {"Authorization": f"Bearer {token}", "Content-Type": ctype}
        return requests.post(f"{lineitem}/scores", data=json.dumps(score), headers=headers, timeout=5)

    first = post()
    assert (first.status_code, first.json()) == (200, {})
    assert post(when=now - timedelta(seconds=1)).status_code == 409
    assert post(when=now).status_code == 409
    assert post(when=now + timedelta(seconds=1), ctype="application/json").status_code == 415
    stranger = post("nobody", now + timedelta(seconds=1))
    assert stranger.status_code == 400 and "userId" in stranger.json()["error_description"]
    platform.fail_next_scores = 1
    assert post(when=now + timedelta(seconds=2)).status_code == 503
    assert post(when=now + timedelta(seconds=2)).status_code == 200
    assert platform.fail_next_scores == 0 and platform.score_attempts == 7
    assert [(s.user_id, s.score_given, s.lineitem) for s in platform.scores] == [("learner-1", 7, lineitem)] * 2
    unauthorised = requests.post(f"{lineitem}/scores", data="{}", headers={"Content-Type": SCORE_TYPE}, timeout=5)
    assert unauthorised.status_code == 401


def test_deep_link_return_refuses_data_it_did_not_send(platform: Platform, fake_tool: str) -> None:
    request = platform.id_token_claims("teacher-1", "n-2", deep_linking=True)
    settings = request[DL + "deep_linking_settings"]
    assert settings["deep_link_return_url"] == f"{platform.url}/deep-link-return"
    now = int(time.time())
    item = {"type": "ltiResourceLink", "url": f"{fake_tool}/launch?unit=b", "title": "Unit B", "custom": {"unit": "b"},
            "lineItem": {"scoreMaximum": 5, "label": "Unit B", "resourceId": "unit-b", "tag": "grade"}}
    claims = {"iss": CLIENT, "aud": platform.issuer, "iat": now, "exp": now + 300, "nonce": uuid.uuid4().hex,
              LTI + "deployment_id": DEPLOYMENT, LTI + "message_type": "LtiDeepLinkingResponse",
              LTI + "version": "1.3.0", DL + "content_items": [item]}

    def respond(**changes: Any) -> requests.Response:
        signed = platform.sign({**claims, **changes}, key=FakeTool.key)
        return requests.post(settings["deep_link_return_url"], data={"JWT": signed}, timeout=5)

    forged = respond(**{DL + "data": "not-the-data"})
    assert forged.status_code == 400 and "data" in forged.json()["error_description"]
    off_host = respond(**{DL + "data": settings["data"], DL + "content_items": [{**item, "url": "http://x.org/"}]})
    assert off_host.status_code == 400 and "host" in off_host.json()["error_description"]
    assert platform.deep_link_items == [] and set(platform.links()) == {"unit-a"}

    added = respond(**{DL + "data": settings["data"]})
    assert added.status_code == 200 and "Content added" in added.text
    listed = re.search(r'<li data-link-id="([^"]+)">Unit B ', added.text)
    assert listed is not None
    link_id = listed[1]
    link = platform.links()[link_id]
    assert (link.title, link.url, link.custom) == ("Unit B", f"{fake_tool}/launch?unit=b", {"unit": "b"})
    assert link.lineitem is not None and platform.lineitems[link.lineitem]["resourceLinkId"] == link_id
    assert platform.deep_link_items == [item]
    assert respond(**{DL + "data": settings["data"]}).status_code == 400
