"""The Sabaq LTI tool as a real server for the tests, with a grading worker, its units installed
from a signed bundle, and a loopback LTI 1.3 platform registered with it."""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import servers
from lti_platform import Link, Platform, User
from publishing import Publisher

CLIENT_ID = "sabaq-tool-client"
DEPLOYMENT_ID = "deployment-1"
ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
LEARNER = User("learner-amna", "Amna Learner", "amna@example.edu", [ROLE + "Learner"])
INSTRUCTOR = User("teacher-bilal", "Bilal Teacher", "bilal@example.edu", [ROLE + "Instructor"])
SQUARES = "source/squares/squares.ipynb"
RIGHT = {"square": "def square(x):\n    return x * x\n",
         "mean": "def mean(values):\n    return sum(values) / len(values)\n",
         "explain-mean": "Dividing by zero items has no value: the sum of nothing over a count of zero."}


@dataclass
class Tool:
    """A running tool: its URL, files and database, the platform it serves, and the bundle installed."""

    base: str
    root: Path
    env: dict[str, str]
    platform: Platform
    publisher: Publisher
    module_id: str
    version: str

    def sabaq_lti(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([str(servers.BIN / "sabaq-lti"), *args], env=self.env, capture_output=True, text=True,
                              timeout=300, stdin=subprocess.DEVNULL, cwd=self.root)
        assert not check or done.returncode == 0, done.stderr
        return done

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with contextlib.closing(sqlite3.connect(self.root / "lti" / "tool.sqlite", timeout=30)) as db:
            return list(db.execute(sql, params).fetchall())

    def store_count(self, table: str) -> int:
        """How many rows a table of the block's submission store holds (0 before it is made)."""
        path = self.root / "sabaq" / "submissions.sqlite"
        if not path.exists():
            return 0
        with contextlib.closing(sqlite3.connect(path, timeout=30)) as db:
            if not db.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (table,)).fetchall():
                return 0  # the store's tables come with the first submission
            return int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])

    def state(self) -> dict[str, int]:
        """How many rows each table of the tool (and the block's submissions) holds: what a refused
        request must leave as it was."""
        tables = ["platform", "deployment", "learner", "resourcelink", "launchsession", "fieldvalue", "scoreoutbox",
                  "unit"]
        counts = {t: self.rows(f"SELECT COUNT(*) FROM sabaq_lti_{t}")[0][0] for t in tables}
        counts["used_nonces"] = self.rows("SELECT COUNT(*) FROM sabaq_lti_usednonce")[0][0]
        counts["submissions"] = self.store_count("sabaq_submission")
        counts["manual_grades"] = self.store_count("sabaq_manual_grade")
        return counts

    def squares_link(self, link_id: str, title: str = "Squares") -> Link:
        """A resource link in the platform to the installed squares unit, with its line item."""
        lineitem = self.platform.create_lineitem(title, 6.0, resource_link_id=link_id)
        link = Link(link_id, title, f"{self.base}/lti/launch",
                    {"sabaq_module": self.module_id, "sabaq_version": self.version, "sabaq_item": SQUARES}, lineitem)
        self.platform.add_link(link)
        return link


def _wait_for(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"sabaq-lti serve exited: {log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the tool did not answer at {url}")


@contextlib.contextmanager
def running_tool(root: Path, *, edit: Any = None, worker_secret: str | None = None) -> Iterator[Tool]:
    """Install, register and serve the tool on loopback beside a platform and a grading worker;
    ``edit`` changes the publisher's course before it is bundled, ``worker_secret`` gives the worker
    another callback secret than the tool's (every callback is then refused)."""
    port = servers.free_port()
    env = servers.environment(root, port)
    base = f"http://127.0.0.1:{port}"
    env.update(DJANGO_SETTINGS_MODULE="sabaq_lti.settings", SABAQ_LTI_BASE_URL=base,
               SABAQ_LTI_DATA_DIR=str(root / "lti"), SABAQ_CALLBACK_BASE_URL=base)
    publisher = Publisher(root / "publisher")
    bundle = publisher.bundle("1.0.0", edit)
    with contextlib.ExitStack() as stack:
        platform = stack.enter_context(Platform())
        tool = Tool(base, root, env, platform, publisher, "fixture-course", "1.0.0")
        tool.sabaq_lti("install", str(bundle), "--trust", str(publisher.pub))
        tool.sabaq_lti("register", "--issuer", platform.issuer, "--client-id", CLIENT_ID, "--deployment-id",
                       DEPLOYMENT_ID, "--auth-login-url", platform.auth_url, "--auth-token-url", platform.token_url,
                       "--keyset-url", platform.jwks_url, "--name", "Test platform")
        platform.register_tool(CLIENT_ID, DEPLOYMENT_ID, f"{base}/lti/login", [f"{base}/lti/launch"],
                               f"{base}/lti/jwks", f"{base}/lti/launch")
        platform.add_user(LEARNER)
        platform.add_user(INSTRUCTOR)
        log = root / "tool.log"
        out = stack.enter_context(log.open("wb"))
        proc = subprocess.Popen([str(servers.BIN / "sabaq-lti"), "serve", "--port", str(port),
                                 "--reconcile-every", "3", "--reconcile-grace", "3"], cwd=root, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True, stdin=subprocess.DEVNULL)
        stack.callback(servers.stop, proc)
        _wait_for(f"{base}/lti/jwks", proc, log)
        worker_env = env if worker_secret is None else {**env, "SABAQ_CALLBACK_SECRET": worker_secret}
        stack.enter_context(servers.worker(root, worker_env))
        yield tool


def wait(predicate: Any, timeout: float = 120.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what or predicate}")
