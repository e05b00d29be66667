"""Servers of a fault test's own, which it may stop and start: Redis, RabbitMQ and MariaDB.

The machine's shared Redis, RabbitMQ and PostgreSQL are never restarted by a test. Each
server here runs on a free loopback port with its data in the test's directory, in a process
group of its own, and is stopped by that group, never by name. ``restart`` stops it the way
an operator's restart does (SIGTERM, so it writes what it keeps) and starts it again on the
same port and data.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import servers


def _answers(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False


class PrivateServer:
    """One server process (group) started by ``command``; ready when ``ready()`` says so."""

    name = "server"

    def __init__(self, directory: Path, port: int) -> None:
        self.directory, self.port = directory, port
        self.proc: subprocess.Popen[bytes] | None = None
        self.restarts = 0

    @property
    def url(self) -> str:
        """How clients reach it."""
        raise NotImplementedError

    def command(self) -> list[str]:
        raise NotImplementedError

    def environment(self) -> dict[str, str]:
        return dict(os.environ)

    def ready(self) -> bool:
        return _answers(self.port)

    def start(self, timeout: float = 90.0) -> None:
        log = (self.directory / f"{self.name}.log").open("ab")
        self.proc = subprocess.Popen(self.command(), cwd=self.directory, env=self.environment(), stdout=log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while not self.ready():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{self.name} did not start:\n"
                                   + (self.directory / f"{self.name}.log").read_text(errors="replace")[-3000:])
            time.sleep(0.2)

    def stop(self, how: signal.Signals = signal.SIGTERM, timeout: float = 60.0) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, how)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        deadline = time.monotonic() + timeout  # children of the group (beam.smp) outlive the shell
        while _answers(self.port) and time.monotonic() < deadline:
            time.sleep(0.2)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)

    def restart(self, down: float = 0.0) -> None:
        """Stop, stay down ``down`` seconds, start again on the same port and data."""
        self.stop()
        time.sleep(down)
        self.start()
        self.restarts += 1


class Redis(PrivateServer):
    """redis-server keeping its data in an append-only file written on every change, as a broker
    that must not lose queued tasks is configured."""

    name = "redis"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def command(self) -> list[str]:
        return ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.directory),
                "--appendonly", "yes", "--appendfsync", "always", "--save", ""]


class RabbitMQ(PrivateServer):
    """A RabbitMQ node of its own (its own name, port, configuration and data); its tools run
    it as the ``rabbitmq`` user, who must own its directory and reach it: a directory of its
    own under the system's temporary directory (a test's is private to root), removed on exit."""

    name = "rabbitmq"

    def __init__(self, directory: Path, port: int) -> None:
        super().__init__(Path(tempfile.mkdtemp(prefix="sabaq-rabbitmq-")), port)
        directory = self.directory
        self.node = f"sabaq{port}@localhost"
        for sub in ("mnesia", "log"):
            (directory / sub).mkdir(parents=True, exist_ok=True)
        (directory / "enabled_plugins").write_text("")
        (directory / "rabbitmq.conf").write_text(f"listeners.tcp.default = 127.0.0.1:{port}\n")
        shutil.chown(directory, "rabbitmq", "rabbitmq")
        for path in directory.rglob("*"):
            shutil.chown(path, "rabbitmq", "rabbitmq")

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}//"

    def command(self) -> list[str]:
        return ["rabbitmq-server"]

    def environment(self) -> dict[str, str]:
        d = self.directory
        return {**os.environ, "RABBITMQ_NODENAME": self.node, "RABBITMQ_CONFIG_FILE": str(d / "rabbitmq.conf"),
                "RABBITMQ_DIST_PORT": str(servers.free_port()), "RABBITMQ_MNESIA_BASE": str(d / "mnesia"),
                "RABBITMQ_LOG_BASE": str(d / "log"), "RABBITMQ_ENABLED_PLUGINS_FILE": str(d / "enabled_plugins")}

    def _pids(self) -> list[int]:
        """The node's processes: those whose environment names this node (its tools start them
        in sessions of their own, so no process group holds them all)."""
        mark = f"RABBITMQ_NODENAME={self.node}".encode()
        found = []
        for environ in Path("/proc").glob("[0-9]*/environ"):
            with contextlib.suppress(OSError):
                if mark in environ.read_bytes().split(b"\0"):
                    found.append(int(environ.parent.name))
        return found

    def stop(self, how: signal.Signals = signal.SIGTERM, timeout: float = 60.0) -> None:
        """``rabbitmqctl shutdown`` (the node stops as a service stop does, or is killed with
        ``how=SIGKILL``), then every process left of the node is killed."""
        if how == signal.SIGTERM and self.proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):  # then it is killed below
                subprocess.run(["rabbitmqctl", "-n", self.node, "shutdown"], env=self.environment(),
                               capture_output=True, stdin=subprocess.DEVNULL, timeout=timeout, check=False)
        for pid in self._pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        super().stop(signal.SIGKILL, timeout)

    def ready(self) -> bool:
        from kombu import Connection

        if not _answers(self.port):
            return False
        try:
            with Connection(self.url, connect_timeout=2) as conn:
                conn.connect()
            return True
        except Exception:
            return False


class MariaDB(PrivateServer):
    """``.ci/mariadb``'s server (the project's own start script) on a port and directory of its own."""

    name = "mariadb"

    @property
    def url(self) -> str:
        return f"mysql+pymysql://root@127.0.0.1:{self.port}/test?charset=utf8mb4"

    def start(self, timeout: float = 120.0) -> None:
        env = {**os.environ, "SABAQ_MARIADB_DIR": str(self.directory), "SABAQ_MARIADB_PORT": str(self.port)}
        try:
            out = subprocess.run(["bash", str(servers.ROOT / ".ci" / "mariadb")], env=env, capture_output=True,
                                 text=True, stdin=subprocess.DEVNULL, timeout=timeout)
        except subprocess.TimeoutExpired:
            out = None
        if out is None or out.returncode != 0 or "started" not in out.stdout:
            pidfile = self.directory / "mariadbd.pid"  # a server the script started before it failed
            if pidfile.exists():
                self.pid = int(pidfile.read_text().strip() or 0)
                self.stop()
            raise RuntimeError(f".ci/mariadb failed: {out.stdout + out.stderr if out else 'timed out'}")
        self.pid = int(out.stdout.split("started", 1)[1].split()[0])

    def stop(self, how: signal.Signals = signal.SIGTERM, timeout: float = 60.0) -> None:
        pid, self.pid = getattr(self, "pid", 0), 0
        if not pid:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, how)
        deadline = time.monotonic() + timeout
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def missing(kind: str) -> str | None:
    """Why a private ``kind`` server cannot run here, or None."""
    needs = {"redis": "redis-server", "rabbitmq": "rabbitmq-server", "mariadb": "mariadbd"}[kind]
    if shutil.which(needs) is None and not Path(f"/usr/sbin/{needs}").exists():
        return f"{needs} is not installed (bash .ci/setup installs it)"
    return None


@contextlib.contextmanager
def running(kind: str, directory: Path) -> Iterator[PrivateServer]:
    """A started private ``kind`` server (``redis``, ``rabbitmq``, ``mariadb``), stopped on exit."""
    made = {"redis": Redis, "rabbitmq": RabbitMQ, "mariadb": MariaDB}[kind]
    directory.mkdir(parents=True, exist_ok=True)
    server = made(directory, servers.free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()
        if isinstance(server, RabbitMQ):
            shutil.rmtree(server.directory, ignore_errors=True)
