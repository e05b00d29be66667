"""What an administrator runs: the configuration for Moodle and Canvas, key rotation, platform
registration and bundle installation, each refusing bad input with exit code 2 and a reason, and
changing nothing when it refuses."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
import requests
from lti_tool import Tool
from publishing import Publisher
from test_tool_flow import deep_link

pytestmark = [pytest.mark.slow]


def kids(tool: Tool) -> list[str]:
    return [k["kid"] for k in requests.get(f"{tool.base}/lti/jwks", timeout=30).json()["keys"]]


def test_the_configuration_names_the_tools_urls_and_key_for_moodle_and_canvas(tool: Tool) -> None:
    config = json.loads(tool.sabaq_lti("config", "--json").stdout)
    assert (config["login_url"], config["launch_url"], config["jwks_url"]) == (
        f"{tool.base}/lti/login", f"{tool.base}/lti/launch", f"{tool.base}/lti/jwks")
    assert config["kid"] == kids(tool)[0] and config["public_key_pem"].startswith("-----BEGIN PUBLIC KEY-----")
    canvas = config["canvas"]
    assert canvas["oidc_initiation_url"] == config["login_url"] and canvas["public_jwk_url"] == config["jwks_url"]
    assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in canvas["scopes"]
    placements = canvas["extensions"][0]["settings"]["placements"]
    assert {p["placement"] for p in placements} == {"assignment_selection", "link_selection"}
    assert {p["message_type"] for p in placements} == {"LtiDeepLinkingRequest"}
    moodle = tool.sabaq_lti("config", "--lms", "moodle").stdout
    for line in (f"Initiate login URL               {tool.base}/lti/login",
                 f"Public keyset                    {tool.base}/lti/jwks",
                 f"Redirection URI(s)               {tool.base}/lti/launch",
                 "sabaq-lti register --preset moodle"):
        assert line in moodle
    assert "Paste JSON" in tool.sabaq_lti("config", "--lms", "canvas").stdout


def test_rotating_keys_signs_with_the_new_key_and_keeps_the_previous_one_published(tool: Tool) -> None:
    [first, *_] = kids(tool)
    out = tool.sabaq_lti("rotate-keys").stdout
    second = kids(tool)[0]
    assert second != first and kids(tool) == [second, first] and second in out
    link_id = deep_link(tool)  # the platform verifies a response signed by the new key (it fetches the keyset again)
    assert tool.platform.links()[link_id].lineitem
    tool.sabaq_lti("rotate-keys")
    third = kids(tool)[0]
    assert kids(tool) == [third, second]  # the oldest is gone
    assert json.loads(tool.sabaq_lti("config", "--json").stdout)["kid"] == third


@pytest.mark.parametrize(("args", "reason"), [
    (["--client-id", "x"], "give --preset moodle|canvas, or every endpoint"),
    (["--preset", "moodle", "--client-id", "x"], "needs the site's URL"),
    (["--issuer", "https://lms.example", "--auth-login-url", "javascript:alert(1)", "--auth-token-url",
      "https://lms.example/t", "--keyset-url", "https://lms.example/k", "--client-id", "x"], "must be an http(s) URL"),
    (["--preset", "canvas", "--client-id", " "], "the client id is empty"),
])
def test_a_registration_with_bad_arguments_is_refused_and_registers_nothing(tool: Tool, args: list[str],
                                                                           reason: str) -> None:
    before = tool.state()
    done = tool.sabaq_lti("register", *args, check=False)
    assert done.returncode == 2 and reason in done.stderr
    assert tool.state() == before


def test_a_preset_registers_moodles_endpoints(tool: Tool) -> None:
    tool.sabaq_lti("register", "--preset", "moodle", "--site", "https://moodle.example.edu/", "--client-id", "m1",
                   "--deployment-id", "3")
    rows = tool.rows("SELECT issuer, auth_login_url, auth_token_url, keyset_url FROM sabaq_lti_platform "
                     "WHERE client_id = 'm1'")
    assert rows == [("https://moodle.example.edu", "https://moodle.example.edu/mod/lti/auth.php",
                     "https://moodle.example.edu/mod/lti/token.php", "https://moodle.example.edu/mod/lti/certs.php")]
    assert "client=m1\tdeployments=3" in tool.sabaq_lti("platforms").stdout


def test_only_bundles_a_trusted_publisher_signed_are_installed(tool: Tool, tmp_path: Path) -> None:
    stranger = Publisher(tmp_path / "stranger", "uni-b")
    theirs = stranger.bundle("9.0.0")
    before = tool.state()
    done = tool.sabaq_lti("install", str(theirs), "--trust", str(tool.publisher.pub), check=False)
    assert done.returncode == 2 and "trusted" in done.stderr
    tampered = tmp_path / "tampered.sabaq"
    with zipfile.ZipFile(theirs) as source, zipfile.ZipFile(tampered, "w") as out:
        for member in source.infolist():
            data = source.read(member)
            out.writestr(member, data.replace(b"return x * x", b"return x + x") if member.filename.endswith(
                "squares.ipynb") else data)
    done = tool.sabaq_lti("install", str(tampered), "--trust", str(stranger.pub), check=False)
    assert done.returncode == 2
    assert tool.state() == before
    again = tool.sabaq_lti("install", str(tool.publisher.root / "dist" / "1.0.0" / "fixture-course-1.0.0.sabaq"),
                           "--trust", str(tool.publisher.pub))
    assert "0 new units, 2 already installed" in again.stdout and tool.state() == before
    listed = tool.sabaq_lti("units").stdout
    assert "fixture-course 1.0.0: Basics" in listed  # the module's title
    assert "source/squares/squares.ipynb\tsquares\tgraded 6" in listed
