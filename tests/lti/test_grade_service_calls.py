"""The tool's calls to a platform's grade services carry its bearer token, so they go only to the
platform's own hosts, never follow a redirect, and give up at a deadline however slowly the answer
trickles in (one slow platform never holds up the others' scores)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = r"""
import threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import django
django.setup()
from django.core.management import call_command
call_command("migrate", "sabaq_lti", verbosity=0)
from sabaq_lti import ags
from sabaq_lti.errors import PlatformError
from sabaq_lti.models import Platform

seen = []

class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        seen.append((self.server.server_port, self.path, self.headers.get("Authorization")))
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{other.server_port}/elsewhere")
            self.end_headers()
        elif self.path == "/slow":
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            for _ in range(100):  # one byte a second: every read is quick, the whole is not
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(1)
        else:
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

lms = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
other = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
for server in (lms, other):
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
site = f"http://127.0.0.1:{lms.server_port}"
platform = Platform.objects.create(issuer=site, client_id="c", auth_login_url=site + "/auth",
                                   auth_token_url=site + "/token", keyset_url=site + "/jwks")
auth = {"Authorization": "Bearer secret-token"}

def outcome(url):
    started = time.monotonic()
    try:
        ags._call(platform, "POST", url, b"{}", dict(auth))
        result = "sent"
    except PlatformError as error:
        result = error.code
    return result, round(time.monotonic() - started)

ags.DEADLINE = 3.0
print("own", outcome(site + "/scores")[0])
print("redirect", outcome(site + "/redirect")[0])
print("elsewhere", outcome(f"http://127.0.0.1:{other.server_port}/scores")[0])
print("plain-http-host", outcome("http://lms.example.edu/scores")[0])
result, seconds = outcome(site + "/slow")
print("slow", result, seconds <= 5)
print("other-saw", [s for s in seen if s[0] == other.server_port])
"""


def test_grade_service_calls_stay_on_the_platform_and_end_at_their_deadline(tmp_path: Path) -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "sabaq_lti.settings", "SABAQ_LTI_DATA_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "own sent",
        "redirect http_302",  # answered as the error it is: the token never follows it
        "elsewhere foreign_service",  # another port of the same machine is another host
        "plain-http-host foreign_service",
        "slow timeout True",
        "other-saw []",
    ]
