"""A real XBlock SDK workbench and a real Celery grading worker, for HTTP and browser tests."""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent
SECRET = "workbench-callback-secret"
ROOT = Path(__file__).resolve().parents[2]
MARIADB_PORT = int(os.environ.get("SABAQ_MARIADB_PORT", "3306"))
MARIADB_SERVER = f"mysql+pymysql://root@127.0.0.1:{MARIADB_PORT}/test?charset=utf8mb4"


def burst_bench() -> Any:
    """``bench/bench_burst.py`` as a module (loaded once), for the tests that run its core."""
    import importlib.util

    if "bench_burst" not in sys.modules:
        spec = importlib.util.spec_from_file_location("bench_burst", ROOT / "bench" / "bench_burst.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["bench_burst"] = module
        spec.loader.exec_module(module)
    return sys.modules["bench_burst"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environment(root: Path, port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="sabaq_xblock.devserver",
        SABAQ_DATA_DIR=str(root / "sabaq"),
        SABAQ_SCENARIO_DIR=str(root / "scenarios"),
        SABAQ_CALLBACK_SECRET=SECRET,
        SABAQ_CALLBACK_BASE_URL=f"http://127.0.0.1:{port}",
        EXCLUDE_SAMPLE_XBLOCKS="yes",
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        PYTHONUNBUFFERED="1",
    )
    if os.geteuid() == 0:
        env["C_FORCE_ROOT"] = "1"
    return env


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop ``proc``'s process group: SIGTERM, then SIGKILL after 20 s."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _mariadb_answers() -> str | None:
    """None if MariaDB answers at ``MARIADB_SERVER``, else why not."""
    import pymysql

    try:
        pymysql.connect(host="127.0.0.1", port=MARIADB_PORT, user="root", database="test",
                        connect_timeout=3).close()
    except pymysql.err.MySQLError as error:
        return str(error)
    return None


@contextlib.contextmanager
def mariadb() -> Iterator[str | None]:
    """The URL of a MariaDB server on 127.0.0.1 (the machine's, or one ``.ci/mariadb`` starts
    and this stops, by its pid, on exit); None if MariaDB is not installed here."""
    if _mariadb_answers() is None:
        yield MARIADB_SERVER
        return
    if not Path("/usr/sbin/mariadbd").exists():
        yield None
        return
    out = subprocess.run(["bash", str(ROOT / ".ci" / "mariadb")], capture_output=True, text=True,
                         stdin=subprocess.DEVNULL, timeout=120)
    if out.returncode != 0:
        raise RuntimeError(f".ci/mariadb failed: {out.stdout}{out.stderr}")
    started = re.search(r"mariadb: started (\d+)", out.stdout)
    try:
        yield MARIADB_SERVER
    finally:
        if started:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(started.group(1)), signal.SIGTERM)


@contextlib.contextmanager
def worker(root: Path, env: dict[str, str], queue: str = "sabaq", number: int | None = None
           ) -> Iterator[subprocess.Popen[bytes]]:
    """A Celery worker process for ``sabaq_grading.worker`` (stopped on exit); with ``number``,
    one of several, with its own node name and log."""
    log = (root / ("worker.log" if number is None else f"worker-{number}.log")).open("wb")
    node = [] if number is None else ["-n", f"worker{number}-{queue}@%h"]
    proc = subprocess.Popen(
        [str(BIN / "celery"), "-A", "sabaq_grading.worker", "worker", "--pool", "solo",
         "-Q", queue, *node, "--without-heartbeat", "--without-gossip", "--without-mingle",
         "-l", "warning"],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        yield proc
    finally:
        stop(proc)
        log.close()


@contextlib.contextmanager
def workbench(root: Path, env: dict[str, str], port: int) -> Iterator[str]:
    """The workbench on 127.0.0.1:``port`` (migrated first; stopped on exit)."""
    (root / "var").mkdir(parents=True, exist_ok=True)
    subprocess.run([str(BIN / "django-admin"), "migrate", "--run-syncdb", "-v", "0"],
                   cwd=root, env=env, check=True)
    log = (root / "workbench.log").open("wb")
    proc = subprocess.Popen(
        [str(BIN / "django-admin"), "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/", timeout=30):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((root / "workbench.log").read_text()) from None
                time.sleep(0.2)
        yield base
    finally:
        stop(proc)
        log.close()


@dataclass
class Client:
    """A workbench user: opens scenarios and calls the block's handlers over HTTP."""

    base: str
    student: str
    jar: http.cookiejar.CookieJar = field(default_factory=http.cookiejar.CookieJar)

    def _open(self, request: urllib.request.Request) -> tuple[int, bytes]:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        try:
            with opener.open(request, timeout=60) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def usage_id(self, scenario: str) -> str:
        status, body = self._open(urllib.request.Request(
            f"{self.base}/view/{scenario}/?student={self.student}"))
        assert status == 200, body[:500]
        match = re.search(rb"data-usage=['\"]([^'\"]+)['\"][^>]*data-block-type=['\"]sabaq_notebook",
                          body)
        assert match, body[:2000]
        return match.group(1).decode()

    def page(self, scenario: str) -> str:
        return self._open(urllib.request.Request(
            f"{self.base}/view/{scenario}/?student={self.student}"))[1].decode()

    def post(self, usage: str, handler: str, data: Any = None, *, body: bytes | None = None,
             headers: dict[str, str] | None = None, unauth: bool = False) -> tuple[int, Any]:
        raw = body if body is not None else json.dumps(data or {}).encode()
        path = "unauth_handler" if unauth else "handler"
        query = "" if unauth else f"?student={self.student}"
        token = next((c.value for c in self.jar if c.name == "csrftoken"), "")
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        if not unauth:
            all_headers["X-CSRFToken"] = token
        request = urllib.request.Request(f"{self.base}/{path}/{usage}/{handler}/{query}",
                                         data=raw, method="POST", headers=all_headers)
        status, out = self._open(request)
        try:
            return status, json.loads(out)
        except ValueError:
            return status, out

    def wait_final(self, usage: str, submission_id: str, limit: float = 120) -> dict[str, Any]:
        """Poll ``status`` until the submission is graded or failed (or ``limit`` passes)."""
        deadline = time.monotonic() + limit
        seen = []
        while True:
            status, data = self.post(usage, "status", {"submission_id": submission_id})
            assert status == 200, data
            seen.append(data["state"])
            if data["state"] in ("graded", "error"):
                data["seen"] = seen
                return dict(data)
            assert time.monotonic() < deadline, f"still {data['state']} after {limit}s"
            time.sleep(0.2)
