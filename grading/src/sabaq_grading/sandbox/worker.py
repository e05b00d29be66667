"""One zygote process and the host side of the protocol for running a submission in it.

The host drives everything: it hands the zygote a fresh channel per job, sends the cells one
at a time with a new nonce each, enforces the per-cell and per-submission wall time, and
tells the zygote to kill and clean up the job. Anything unexpected from the sandbox (a
malformed or oversized frame, an unsolicited frame, a wrong nonce) ends the run as a
``protocol_violation``; the sandbox can never make the host raise.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import os
import platform
import secrets
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..errors import SandboxUnavailable
from . import launch, seccomp
from .models import Cell, CellResult, CellStatus, Limits, RunResult
from .outcome import Outcome
from .runtime import wire

START_TIMEOUT = 120.0
CONTROL_TIMEOUT = 15.0
INTERRUPT_GRACE = 1.0  # how long an interrupted cell may take to stop before the job is killed
_CONTROL_MAX_BYTES = 1 << 20
_TIMEOUT: CellStatus = "timeout"


class StaleWorker(Exception):
    """The zygote failed between jobs; no submission was affected, so the run is retried."""


def check_path(relative: str) -> str:
    """Validate a data file's path: relative, no ``..``, no empty parts; return it normalised."""
    parts = relative.replace("\\", "/").split("/")
    if (not relative or relative.startswith("/") or any(p in ("", ".", "..") for p in parts)
            or "\0" in relative):
        raise ValueError(f"data file path {relative!r} must be relative, without '..' or "
                         f"empty parts")
    return "/".join(parts)


SANDBOX_OWNED_VARIABLES = frozenset({"HOME", "IPYTHONDIR", "MPLCONFIGDIR", "TMPDIR", "PWD", "PATH",
                                     "PYTHONPATH", "PYTHONHOME", "LD_PRELOAD", "LD_LIBRARY_PATH"})


def check_environment(environment: Mapping[str, str]) -> dict[str, str]:
    """Validate variables a run adds to its environment: plain names, text values, none the sandbox owns."""
    checked: dict[str, str] = {}
    for name, value in environment.items():
        if not (isinstance(name, str) and name.isidentifier() and name.isascii() and isinstance(value, str)
                and "\0" not in value):
            raise ValueError(f"environment variable {name!r}: the name must be an identifier and the value text")
        if name in SANDBOX_OWNED_VARIABLES:
            raise ValueError(f"environment variable {name!r} is set by the sandbox itself")
        checked[name] = value
    return checked


class Worker:
    """A zygote (sandboxed unless ``unsafe``); runs one submission at a time."""

    def __init__(self, preload: Sequence[str], unsafe: bool) -> None:
        self.unsafe = unsafe
        self.preload = ",".join(preload)
        self.warnings: list[str] = []
        self._pending_finish = False
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the zygote
        host, zygote = socket.socketpair()
        self._control = host
        try:
            with seccomp.program_fd() as rules:
                if unsafe:
                    command = launch.unsafe_command(zygote.fileno(), self.preload)
                else:
                    command = launch.bwrap_command(zygote.fileno(), self.preload, rules)
                passed = (zygote.fileno(),) if unsafe or rules is None else (zygote.fileno(), rules)
                self._process = subprocess.Popen(command, stdin=subprocess.DEVNULL,
                                                 stdout=subprocess.DEVNULL, stderr=self._log,
                                                 pass_fds=passed, start_new_session=True,
                                                 env=_sandbox_environment())
        except OSError as exc:
            raise SandboxUnavailable(f"cannot start the sandbox: {exc}") from exc
        finally:
            zygote.close()
        self._reader = wire.FrameReader(_CONTROL_MAX_BYTES)
        try:
            ready = self._reader.read(self._control, time.monotonic() + START_TIMEOUT)
        except (wire.WireError, TimeoutError) as exc:
            self.close()
            raise SandboxUnavailable(f"the sandbox did not start ({exc or 'timed out'}); "
                                     f"its log says: {self.log_tail()}") from None
        self.warnings = [str(w) for w in ready.get("warnings", [])]
        if not unsafe and not seccomp.supported():
            self.warnings.append(f"no system call filter for {platform.machine()}: kernel keyrings "
                                 f"({', '.join(seccomp.REFUSED)}) are open to submissions")

    def alive(self) -> bool:
        """Whether the zygote process is still running."""
        return self._process.poll() is None

    def log_tail(self, size: int = 2000) -> str:
        """The end of the zygote's stderr, for error messages."""
        self._log.seek(0, os.SEEK_END)
        self._log.seek(max(0, self._log.tell() - size))
        return self._log.read().decode("utf-8", "replace").strip() or "(empty)"

    def close(self) -> None:
        """Stop the zygote (and with it, the sandbox) and release its resources."""
        self._control.close()
        if self._process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, signal.SIGKILL)
        self._process.wait()
        self._log.close()

    def _control_call(self, message: dict[str, Any] | None, expect: str) -> dict[str, Any]:
        if message is not None:
            wire.send_on(self._control, message, time.monotonic() + CONTROL_TIMEOUT)
        self._control.setblocking(True)
        reply = self._reader.read(self._control, time.monotonic() + CONTROL_TIMEOUT)
        if reply.get("op") != expect:
            raise wire.WireError(f"zygote answered {reply.get('op')!r}, expected {expect!r}")
        return reply

    def settle(self) -> None:
        """Wait for the cleanup of the previous job; raise StaleWorker if the zygote failed.

        A job that needs no exit statuses is not waited for: its kill and cleanup overlap
        with the caller's next steps instead of delaying its result.
        """
        if not self._pending_finish:
            return
        try:
            self._control_call(None, "finished")
        except (wire.WireError, TimeoutError, OSError) as exc:
            raise StaleWorker(f"the sandbox worker failed while cleaning up ({exc})") from exc
        self._pending_finish = False

    def run(self, cells: Sequence[Cell], files: Mapping[str, bytes], limits: Limits,
            started: float, environment: Mapping[str, str] | None = None) -> RunResult:
        """Run one submission; raises only if the zygote itself fails (the caller replaces it)."""
        self.settle()
        job = {"op": "job", "limits": dataclasses.asdict(limits),
               "files": {k: base64.b64encode(v).decode("ascii") for k, v in files.items()},
               "environment": dict(environment or {})}
        channel, child_end = socket.socketpair()
        try:
            wire.send_on(self._control, job, time.monotonic() + CONTROL_TIMEOUT)
            self._control.setblocking(True)
            socket.send_fds(self._control, [b"F"], [child_end.fileno()])
            child_end.close()
            first_pid = self._control_call(None, "started").get("pid")
            outcome = _Session(channel, cells, limits, _int(first_pid), self._interrupt).run()
            finished: dict[str, Any] = {}
            if outcome.peer_closed:
                finished = self._control_call({"op": "finish", "grace": True}, "finished")
            else:
                wire.send_on(self._control, {"op": "finish", "grace": False},
                             time.monotonic() + CONTROL_TIMEOUT)
                self._pending_finish = True
        finally:
            channel.close()
            child_end.close()
        killed = finished.get("killed")
        if outcome.peer_closed and isinstance(killed, list) and str(outcome.pid) in killed:
            outcome.violation("it closed or gave away its grading channel while still running")
        statuses = finished.get("statuses")
        return outcome.result(statuses if isinstance(statuses, dict) else {}, started)


    def _interrupt(self, pid: int | None) -> None:
        """Ask the zygote to interrupt (SIGINT) the job's runner; it cannot be signalled from
        here, as it runs under another uid in the sandbox's PID namespace."""
        if pid is not None:
            wire.send_on(self._control, {"op": "interrupt", "pid": pid},
                         time.monotonic() + CONTROL_TIMEOUT)


class _Session:
    """The host side of one submission's channel."""

    def __init__(self, channel: socket.socket, cells: Sequence[Cell], limits: Limits,
                 pid: int | None, interrupt: Callable[[int | None], None]) -> None:
        self.channel = channel
        self.interrupt = interrupt
        self.cells = cells
        self.limits = limits
        self.deadline = time.monotonic() + limits.total_timeout  # waiting for a worker is free
        self.reader = wire.FrameReader(8 * limits.output_bytes + (4 << 20))
        self.outcome = Outcome(limits, cells)
        self.outcome.pid = pid

    def run(self) -> Outcome:
        outcome = self.outcome
        try:
            hello = self.reader.read(self.channel, min(self.deadline, time.monotonic() + 30.0))
            if hello.get("op") == "fatal":
                outcome.ending = ("crashed", f"the sandbox could not prepare the submission: "
                                             f"{str(hello.get('detail'))[:2000]}", "error")
                return outcome
            if hello.get("op") != "hello":
                raise wire.WireError(f"expected a hello frame, got {hello.get('op')!r}")
            outcome.pid = _int(hello.get("pid"))
            outcome.hello = True
            for index, cell in enumerate(self.cells):
                outcome.current = index
                following = self.cells[index + 1] if index + 1 < len(self.cells) else None
                self._run_cell(cell, following is not None and following.role == "test")
            outcome.current = None
            with contextlib.suppress(OSError):  # every cell is answered: the rest is cleanup
                wire.send_on(self.channel, {"op": "done"}, time.monotonic() + 5.0)
        except TimeoutError:
            outcome.timed_out(self.deadline)
        except wire.PeerClosed:
            outcome.peer_closed = True
        except (wire.WireError, BrokenPipeError, ConnectionError) as exc:
            outcome.violation(str(exc))
        return outcome

    def _run_cell(self, cell: Cell, isolate_after: bool) -> None:
        if self.reader.pending() or _readable(self.channel):
            raise wire.WireError("the sandbox sent a frame nobody asked for")
        nonce, proof = secrets.token_hex(16), secrets.token_hex(16)
        sent = self.outcome.cell_started = time.monotonic()
        deadline = min(sent + self.limits.cell_timeout, self.deadline)
        request = {"op": "cell", "nonce": nonce, "cell_id": cell.cell_id, "source": cell.source,
                   "role": cell.role, "isolate_after": isolate_after}
        if cell.role == "test":
            request["proof"] = proof
        wire.send_on(self.channel, request, deadline)
        interrupted = False
        try:
            reply = self.reader.read(self.channel, deadline)
        except TimeoutError:
            if deadline >= self.deadline:  # the submission's total time: no second chance
                raise
            # like Jupyter and nbgrader: interrupt the cell, and go on if it stops in time;
            # from here on the cell counts as timed out whatever it answers
            interrupted = self.outcome.interrupted = True
            self.interrupt(self.outcome.pid)
            reply = self.reader.read(self.channel, min(time.monotonic() + INTERRUPT_GRACE,
                                                       self.deadline))
            self.outcome.interrupted = False
        if reply.get("op") != "result" or reply.get("nonce") != nonce:
            raise wire.WireError("the sandbox answered with a frame that does not match the cell "
                                 "it was sent")
        status = reply.get("status")
        outputs = reply.get("outputs")
        error = reply.get("error")
        if (status not in ("ok", "error") or not isinstance(outputs, list)
                or not all(isinstance(o, dict) for o in outputs)
                or not (error is None or isinstance(error, dict))):
            raise wire.WireError("the sandbox sent a malformed cell result")
        if cell.role == "test" and status == "ok" and reply.get("proof") != proof:
            raise wire.WireError("the sandbox reported a passing test without the proof that "
                                 "only a test that ran to its end can give")
        duration = reply.get("duration_ms")
        duration_ms = float(duration) if isinstance(duration, (int, float)) else 0.0
        self.outcome.pid = _int(reply.get("pid")) or self.outcome.pid
        if interrupted:
            status = _TIMEOUT
            if error is None:  # it caught the interrupt: its outcome after the deadline is void
                error = {"ename": "TimeoutError", "evalue": self.outcome.interrupt_message(),
                         "traceback": []}
                outputs = [*outputs, {"output_type": "error", **error}]
        self.outcome.results.append(CellResult(cell.cell_id, status, outputs, error,
                                               max(0.0, duration_ms)))


def _sandbox_environment() -> dict[str, str]:
    """The zygote's environment: nothing of the host's (it may hold credentials)."""
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1"}


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _readable(sock: socket.socket) -> bool:
    import select

    ready, _, _ = select.select([sock], [], [], 0)
    return bool(ready)

