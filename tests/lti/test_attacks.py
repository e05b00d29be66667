"""Attacks on the LTI tool's launch and sessions: each is refused with a specific error and changes
nothing (no person, link, session, block field, submission or score is made, and no login state is
used up). The threat model is lti/THREAT_MODEL.md."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from joserfc.jwk import RSAKey
from lti_tool import CLIENT_ID, INSTRUCTOR, LEARNER, ROLE, Tool
from test_tool_flow import call, page_prefix

pytestmark = [pytest.mark.slow]
LTI = "https://purl.imsglobal.org/spec/lti/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
DL_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"


def logged_in(tool: Tool, user: str, link_id: str | None) -> tuple[requests.Session, str, str]:
    """A browser that went through the tool's login initiation: its state cookie, the state and the nonce."""
    http = requests.Session()
    start = http.get(tool.platform.start_url(user, link_id), allow_redirects=False, timeout=30)
    login = http.get(start.headers["Location"], allow_redirects=False, timeout=30)
    assert login.status_code == 302, login.text
    query = parse_qs(urlsplit(login.headers["Location"]).query)
    return http, query["state"][0], query["nonce"][0]


def refused(tool: Tool, post: Callable[[], requests.Response], code: str, status: int = 400) -> requests.Response:
    before = tool.state()
    answer = post()
    assert answer.status_code == status, answer.text[:500]
    assert f'data-error="{code}"' in answer.text, answer.text[:2000]
    assert tool.state() == before  # nothing made, nothing used up
    return answer


def launch_with(tool: Tool, link_id: str, change: Callable[[dict[str, Any]], None], code: str,
                key: RSAKey | None = None, kid: str | None = None, alg: str = "RS256") -> requests.Response:
    http, state, nonce = logged_in(tool, LEARNER.sub, link_id)
    claims = tool.platform.id_token_claims(LEARNER.sub, nonce, link_id)
    change(claims)
    token = tool.platform.sign(claims, key=key, kid=kid, alg=alg)
    return refused(tool, lambda: http.post(f"{tool.base}/lti/launch", data={"id_token": token, "state": state},
                                           timeout=30), code)


@pytest.fixture(scope="module")
def link(tool: Tool) -> str:
    return tool.squares_link("link-attacks").id


def test_a_replayed_id_token_is_refused_whether_its_state_is_used_or_fresh(tool: Tool, link: str) -> None:
    http = requests.Session()
    assert tool.platform.launch(http, LEARNER.sub, link).status_code == 200
    token, state, redirect = tool.platform.issued[-1]
    http.cookies.set("sabaq_lti_state", state, path="/lti/")  # an attacker who copied the browser's cookie too
    refused(tool, lambda: http.post(redirect, data={"id_token": token, "state": state}, timeout=30), "replayed")
    fresh, new_state, _nonce = logged_in(tool, LEARNER.sub, link)  # a login of its own, the old token
    refused(tool, lambda: fresh.post(redirect, data={"id_token": token, "state": new_state}, timeout=30),
            "nonce_mismatch")


def test_an_id_token_signed_by_another_key_is_refused(tool: Tool, link: str) -> None:
    other = RSAKey.generate_key(2048, parameters={"kid": "other-platform"})
    launch_with(tool, link, lambda c: None, "bad_signature", key=other, kid=tool.platform.key.kid)
    launch_with(tool, link, lambda c: None, "unknown_key", key=other)


def test_a_learner_forging_an_instructor_role_breaks_the_signature(tool: Tool, link: str) -> None:
    http, state, nonce = logged_in(tool, LEARNER.sub, link)
    token = tool.platform.sign(tool.platform.id_token_claims(LEARNER.sub, nonce, link))
    header, payload, signature = token.split(".")
    import base64

    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims[LTI + "roles"] = [ROLE + "Instructor"]
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    refused(tool, lambda: http.post(f"{tool.base}/lti/launch", data={"id_token": f"{header}.{forged}.{signature}",
                                                                     "state": state}, timeout=30), "bad_signature")


def test_a_role_claimed_anywhere_but_the_signed_roles_gives_no_staff_view(tool: Tool, link: str) -> None:
    tool.platform.links()[link].custom["roles"] = ROLE + "Instructor"  # custom parameters are the link's, not roles
    try:
        http = requests.Session()
        page = tool.platform.launch(http, LEARNER.sub, link)
    finally:
        del tool.platform.links()[link].custom["roles"]
    assert 'data-role="learner"' in page.text
    prefix = page_prefix(page)
    for name in ("manual_queue", "cohort_dashboard", "learner_report", "regrade_many", "studio_submit"):
        code, answer = call(http, prefix, name, {})
        assert code == 403, (name, answer)
    other = prefix.rsplit("/handler/", 1)[0] + "/handler/lti-" + "0" * 32 + "/status"
    answer = http.post(other, data="{}", timeout=30)
    assert answer.status_code == 403 and answer.json()["error"] == "other_unit"


@pytest.mark.parametrize(("change", "code"), [
    (lambda c: c.update(iss="https://evil.example"), "wrong_issuer"),
    (lambda c: c.update(aud="someone-elses-client", azp="someone-elses-client"), "wrong_audience"),
    (lambda c: c.update({LTI + "deployment_id": "deployment-unknown"}), "unknown_deployment"),
    (lambda c: c.pop("nonce"), "missing_claim"),
    (lambda c: c.update(nonce="not-the-logins-nonce"), "nonce_mismatch"),
    (lambda c: c.update(exp=1_000_000, iat=999_000), "expired"),
    (lambda c: c.update({LTI + "version": "1.1"}), "wrong_version"),
    (lambda c: c.update({LTI + "message_type": "LtiSubmissionReviewRequest"}), "wrong_message_type"),
    (lambda c: c.update({LTI + "target_link_uri": "https://evil.example/lti/launch"}), "foreign_target"),
    (lambda c: c.pop(LTI + "resource_link"), "no_resource_link"),
    (lambda c: c.update(aud=[CLIENT_ID, "another"], azp="another"), "wrong_azp"),
    (lambda c: c.update(azp="another"), "wrong_azp"),
    (lambda c: c[AGS].update(lineitem="http://127.0.0.1:9/internal/admin"), "foreign_service"),
    (lambda c: c[AGS].update(lineitems="https://evil.example/lineitems"), "foreign_service"),
], ids=["issuer", "client", "deployment", "no-nonce", "other-nonce", "expired", "version", "message-type",
        "target", "no-link", "azp-list", "azp", "lineitem-elsewhere", "lineitems-elsewhere"])
def test_a_token_with_a_wrong_claim_is_refused(tool: Tool, link: str, change: Callable[[dict[str, Any]], None],
                                               code: str) -> None:
    launch_with(tool, link, change, code)


def test_unsigned_and_symmetric_tokens_are_refused(tool: Tool, link: str) -> None:
    http, state, nonce = logged_in(tool, LEARNER.sub, link)
    import base64

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    claims = tool.platform.id_token_claims(LEARNER.sub, nonce, link)
    unsigned = f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."
    refused(tool, lambda: http.post(f"{tool.base}/lti/launch", data={"id_token": unsigned, "state": state},
                                    timeout=30), "wrong_algorithm")
    import hashlib
    import hmac

    public = json.dumps(tool.platform.key.as_dict(private=False)).encode()  # HS256 keyed with the public key
    signing = f"{part({'alg': 'HS256', 'typ': 'JWT', 'kid': tool.platform.key.kid})}.{part(claims)}"
    mac = base64.urlsafe_b64encode(hmac.new(public, signing.encode(), hashlib.sha256).digest()).decode().rstrip("=")
    refused(tool, lambda: http.post(f"{tool.base}/lti/launch", data={"id_token": f"{signing}.{mac}", "state": state},
                                    timeout=30), "wrong_algorithm")
    refused(tool, lambda: http.post(f"{tool.base}/lti/launch", data={"id_token": "not a jwt", "state": state},
                                    timeout=30), "bad_id_token")


def test_a_launch_without_its_state_or_this_browsers_cookie_is_refused(tool: Tool, link: str) -> None:
    http, state, nonce = logged_in(tool, LEARNER.sub, link)
    token = tool.platform.sign(tool.platform.id_token_claims(LEARNER.sub, nonce, link))
    refused(tool, lambda: http.post(f"{tool.base}/lti/launch", data={"id_token": token}, timeout=30), "no_state")
    stranger = requests.Session()  # another browser posting this login's token (login CSRF)
    refused(tool, lambda: stranger.post(f"{tool.base}/lti/launch", data={"id_token": token, "state": state},
                                        timeout=30), "state_mismatch")
    refused(tool, lambda: http.post(f"{tool.base}/lti/launch", data={"state": state}, timeout=30), "no_id_token")
    assert http.post(f"{tool.base}/lti/launch", data={"id_token": token, "state": state}, timeout=30).status_code == 200


def test_a_login_from_an_unknown_platform_or_for_a_foreign_target_is_refused(tool: Tool) -> None:
    def login(**params: str) -> Callable[[], requests.Response]:
        return lambda: requests.get(f"{tool.base}/lti/login", params=params, allow_redirects=False, timeout=30)

    good = {"iss": tool.platform.issuer, "login_hint": LEARNER.sub, "target_link_uri": f"{tool.base}/lti/launch",
            "client_id": CLIENT_ID}
    refused(tool, login(**{**good, "iss": "https://evil.example"}), "unknown_platform")
    refused(tool, login(**{**good, "client_id": "nobody"}), "unknown_platform")
    refused(tool, login(**{**good, "target_link_uri": "https://evil.example/phish"}), "foreign_target")
    refused(tool, login(**{**good, "lti_deployment_id": "deployment-unknown"}), "unknown_deployment")
    refused(tool, login(iss=tool.platform.issuer), "login_incomplete")


def test_a_learner_cannot_open_the_content_picker(tool: Tool) -> None:
    tool.platform.users[LEARNER.sub].roles.append(ROLE + "Learner")
    http = requests.Session()
    before = tool.state()
    answer = tool.platform.launch(http, LEARNER.sub, deep_linking=True)
    assert answer.status_code == 403 and 'data-error="not_instructor"' in answer.text
    assert tool.state() == before


def test_a_link_to_a_unit_that_is_not_installed_is_refused_and_makes_nothing(tool: Tool) -> None:
    from lti_platform import Link

    tool.platform.add_link(Link("link-missing", "Missing", f"{tool.base}/lti/launch",
                                {"sabaq_module": "fixture-course", "sabaq_item": "source/absent/absent.ipynb"}))
    before = tool.state()
    answer = tool.platform.launch(requests.Session(), INSTRUCTOR.sub, "link-missing")
    assert answer.status_code == 404 and 'data-error="unit_not_installed"' in answer.text
    assert tool.state() == before


def test_session_keys_that_are_unknown_or_expired_reach_nothing(tool: Tool, link: str) -> None:
    http = requests.Session()
    page = tool.platform.launch(http, LEARNER.sub, link)
    key = re.search(r"/lti/s/([^/]+)/", page.url).group(1)  # type: ignore[union-attr]
    assert page.headers["Referrer-Policy"] == "no-referrer"  # the key never leaves in a Referer
    import sqlite3

    with sqlite3.connect(tool.root / "lti" / "tool.sqlite", timeout=30) as db:
        db.execute("UPDATE sabaq_lti_launchsession SET expires = 0 WHERE key = ?", (key,))
    assert http.get(page.url, timeout=30).status_code == 401
    assert http.post(page_prefix(page) + "status", data="{}", timeout=30).status_code == 401
    assert requests.get(f"{tool.base}/lti/s/{'A' * 43}/", timeout=30).status_code == 401
    assert key not in (tool.root / "tool.log").read_text()  # refusals are logged, their keys are not
    assert "/lti/s/<session>" in (tool.root / "tool.log").read_text()


def test_the_graders_callback_url_takes_only_signed_callbacks(tool: Tool, link: str) -> None:
    [(usage,)] = tool.rows("SELECT usage_id FROM sabaq_lti_resourcelink WHERE resource_link_id = ?", link)
    before = tool.state()
    forged = json.dumps({"event": "finished", "submission_id": "x", "token": "y", "report": {}})
    answer = requests.post(f"{tool.base}/lti/callback/{usage}/grading_result", data=forged, timeout=30)
    assert answer.status_code in (400, 403), answer.text
    for other in ("status", "submit", "save_manual_grade"):
        assert requests.post(f"{tool.base}/lti/callback/{usage}/{other}", data="{}", timeout=30).status_code == 404
    assert tool.state() == before


def test_a_session_url_opened_in_another_browser_opens_nothing(tool: Tool, link: str) -> None:
    """An attacker's own session URL sent to a victim (the victim's work would be the attacker's), or a
    learner's URL seen over a shoulder, in a proxy's log or a browser history: no use without the
    launching browser's cookie."""
    http = requests.Session()
    page = tool.platform.launch(http, LEARNER.sub, link)
    prefix = page_prefix(page)
    victim = requests.Session()
    before = tool.state()
    opened = victim.get(page.url, timeout=30)
    assert opened.status_code == 403 and 'data-error="other_browser"' in opened.text
    answer = victim.post(prefix + "submit", data=json.dumps({"answers": {"square": "x"}}), timeout=30)
    assert answer.status_code == 403 and answer.json()["error"] == "other_browser"
    assert tool.state() == before
    assert http.get(page.url, timeout=30).status_code == 200  # the launching browser still works


def test_a_deep_linking_return_url_off_the_platform_is_refused(tool: Tool) -> None:
    for url in ("javascript:alert(document.domain)//", "https://evil.example/deep-link-return"):
        http = requests.Session()
        start = http.get(tool.platform.start_url(INSTRUCTOR.sub, deep_linking=True), allow_redirects=False,
                         timeout=30)
        login = http.get(start.headers["Location"], allow_redirects=False, timeout=30)
        query = parse_qs(urlsplit(login.headers["Location"]).query)
        claims = tool.platform.id_token_claims(INSTRUCTOR.sub, query["nonce"][0], deep_linking=True)
        claims[DL_SETTINGS]["deep_link_return_url"] = url
        form = {"id_token": tool.platform.sign(claims), "state": query["state"][0]}
        refused(tool, lambda h=http, f=form: h.post(f"{tool.base}/lti/launch", data=f, timeout=30),  # type: ignore[misc]
                "foreign_service")


def test_the_same_link_id_in_another_course_is_another_block(tool: Tool) -> None:
    """A course copy that kept its link ids: course two's instructor never sees course one's learners."""
    link = tool.squares_link("link-copied")
    first = page_prefix(tool.platform.launch(requests.Session(), LEARNER.sub, link.id))
    tool.platform.context_id = "course-2"
    try:
        second = page_prefix(tool.platform.launch(requests.Session(), INSTRUCTOR.sub, link.id))
    finally:
        tool.platform.context_id = "course-1"
    assert first.rsplit("/handler/", 1)[1] != second.rsplit("/handler/", 1)[1]
    assert tool.rows("SELECT context_id FROM sabaq_lti_resourcelink WHERE resource_link_id = ? ORDER BY id",
                     link.id) == [("course-1",), ("course-2",)]


def test_logins_store_nothing_and_an_odd_unit_id_is_a_clear_refusal(tool: Tool) -> None:
    before = tool.state()
    for _ in range(50):  # anonymous login initiations from a registered issuer
        answer = requests.get(f"{tool.base}/lti/login", params={
            "iss": tool.platform.issuer, "login_hint": "anyone", "target_link_uri": f"{tool.base}/lti/launch",
            "client_id": CLIENT_ID}, allow_redirects=False, timeout=30)
        assert answer.status_code == 302
    assert tool.state() == before
    http = requests.Session()
    picker = tool.platform.launch(http, INSTRUCTOR.sub, deep_linking=True)
    for odd in ("\u00b2", "-1", "1e3", "9" * 40):
        answer = http.post(picker.url, data={"unit": odd}, timeout=30)
        assert answer.status_code == 404 and 'data-error="unit_not_installed"' in answer.text
    huge = http.post(f"{tool.base}/lti/launch", data={"id_token": "x" * 300_000, "state": "y"}, timeout=30)
    assert huge.status_code == 400 and 'data-error="too_large"' in huge.text
