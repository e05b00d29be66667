"""The login's state cookie, as a tool on HTTPS sets it inside an LMS's frame: HttpOnly, Secure,
SameSite=None and Partitioned (so browsers that block third-party cookies keep it for that LMS);
on plain HTTP (a laptop, where LMS and tool are one site) SameSite=Lax."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = """
import django
django.setup()
from django.core.management import call_command
from django.test import RequestFactory
from sabaq_lti import views
from sabaq_lti.registry import Endpoints, register
call_command("migrate", "sabaq_lti", verbosity=0)
site = "https://moodle.example.edu"
register(Endpoints(site, site + "/mod/lti/auth.php", site + "/mod/lti/token.php", site + "/mod/lti/certs.php"),
         "client", ["1"])
request = RequestFactory().get("/lti/login", {"iss": site, "login_hint": "u", "client_id": "client",
                                              "target_link_uri": views.tool_urls().launch})
answer = views.login(request)
print(answer.status_code, answer["Location"].split("?")[0])
print(answer.cookies.output())
"""


@pytest.mark.parametrize(("base", "expected"), [
    ("https://lti.example.edu", "HttpOnly; Max-Age=600; Path=/lti/; SameSite=None; Partitioned; Secure"),
    ("http://127.0.0.1:8100", "HttpOnly; Max-Age=600; Path=/lti/; SameSite=Lax"),
])
def test_the_state_cookie_survives_an_lms_frame(tmp_path: Path, base: str, expected: str) -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "sabaq_lti.settings", "SABAQ_LTI_BASE_URL": base,
           "SABAQ_LTI_DATA_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    status, cookie = done.stdout.splitlines()
    assert status == "302 https://moodle.example.edu/mod/lti/auth.php"
    assert cookie.startswith("Set-Cookie: sabaq_lti_state=") and cookie.endswith(expected)
