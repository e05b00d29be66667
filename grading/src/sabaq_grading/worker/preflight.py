"""Can the grading sandbox work here? A real, minimal bubblewrap launch, before a worker starts.

:func:`check_sandbox` starts bubblewrap with the very command line the sandbox uses
(``sabaq_grading.sandbox.launch.bwrap_command``: the same namespaces, mounts, bound virtual
environment and capabilities, in the same clean environment), but runs a tiny probe instead
of the zygote. Inside, the probe does what every submission's process does: it forks, drops
to a fresh unprivileged uid, makes sure it cannot regain root, and starts the interpreter
again as that uid. Whatever fails is reported as one :class:`SandboxProblem` naming its
cause and what to change; ``sabaq worker-check`` prints it and exits non-zero, and the grader
container runs that check before ``celery worker`` starts.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from ..errors import SandboxUnavailable
from ..sandbox import launch, seccomp
from ..sandbox.worker import _sandbox_environment

PROBE_TIMEOUT = 30.0
UID_BASE, UID_SPAN = 200000, 1 << 24  # the range the zygote picks each submission's uid from
_TAIL = 9  # the zygote's part of bwrap_command: python -I -B -c <bootstrap> <runtime> <fd> <preload> sandbox
_CONTAINER_HINT = (
    "in a container, allow namespaces and mounts: Docker/Compose `cap_add: [SYS_ADMIN, NET_ADMIN]` and "
    "`security_opt: [seccomp=unconfined, apparmor=unconfined]` (Kubernetes: the same capabilities, "
    "seccompProfile and appArmorProfile Unconfined)"
)

# Runs as root inside bubblewrap; argv[1] is the uid to drop to. One JSON line on stdout.
_PROBE = r"""
import json, os, sys
uid = int(sys.argv[1])
def report(**answer):
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()
    os._exit(0)
inner = ("import json, os, site, sys; "
         "sys.stdout.write(json.dumps({'ok': True, 'uid': os.getuid(), 'python': sys.version.split()[0], "
         "'site': [p for p in site.getsitepackages() if os.path.isdir(p) and os.listdir(p) is not None]}))")
read, write = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(read)
    def fail(cause, detail):
        os.write(write, json.dumps({"cause": cause, "detail": detail}).encode())
        os._exit(1)
    try:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    except OSError as error:
        fail("no_unprivileged_user", f"switching to uid {uid} failed: {error.strerror}")
    try:
        os.setuid(0)
    except PermissionError:
        pass
    else:
        fail("no_unprivileged_user", f"uid {uid} could become root again")
    if 0 in (os.getuid(), os.geteuid(), os.getgid(), os.getegid()):
        fail("no_unprivileged_user", "the process is still root after the switch")
    os.dup2(write, 1)
    try:
        os.execv(sys.executable, [sys.executable, "-I", "-B", "-c", inner])
    except OSError as error:
        fail("interpreter_unreadable", f"uid {uid} cannot run {sys.executable}: {error.strerror}")
os.close(write)
chunks = []
while True:
    chunk = os.read(read, 65536)
    if not chunk:
        break
    chunks.append(chunk)
_, status = os.waitpid(pid, 0)
text = b"".join(chunks).decode("utf-8", "replace").strip()
try:
    answer = json.loads(text)
except ValueError:
    answer = None
if isinstance(answer, dict) and (answer.get("ok") or answer.get("cause")):
    report(**answer)
report(cause="interpreter_unreadable",
       detail=f"the interpreter {sys.executable} did not start as uid {uid} (exit status {status}); "
              "see its error above")
"""


class Cause(StrEnum):
    """Why the sandbox cannot work; each names one thing an operator can change."""

    NOT_LINUX = "not_linux"
    BWRAP_MISSING = "bwrap_missing"
    NOT_ROOT = "not_root"
    INTERPRETER_NOT_SYSTEM = "interpreter_not_system"
    INTERPRETER_UNREADABLE = "interpreter_unreadable"
    NAMESPACES_DENIED = "namespaces_denied"
    MOUNTS_DENIED = "mounts_denied"
    NETWORK_DENIED = "network_denied"
    NO_UNPRIVILEGED_USER = "no_unprivileged_user"
    PROBE_FAILED = "probe_failed"


@dataclass(frozen=True)
class SandboxProblem:
    """What stops the sandbox here: a cause, and a message saying what to do."""

    cause: Cause
    message: str

    def __str__(self) -> str:
        return f"the grading sandbox cannot work here ({self.cause}): {self.message}"


@dataclass(frozen=True)
class SandboxReady:
    """The probe ran: bubblewrap, the uid drop and the interpreter all work."""

    bwrap: str
    uid: int
    python: str

    def __str__(self) -> str:
        return (f"the grading sandbox works here: {self.bwrap} started the probe, which ran Python "
                f"{self.python} as the unprivileged uid {self.uid}")


def _static_problem() -> SandboxProblem | None:
    """What can be told without starting anything (the same rules as ``sandbox_available``)."""
    if not sys.platform.startswith("linux"):
        return SandboxProblem(Cause.NOT_LINUX, f"the sandbox needs Linux, this is {sys.platform}")
    if shutil.which("bwrap") is None:
        return SandboxProblem(Cause.BWRAP_MISSING, "bubblewrap ('bwrap') is not on PATH "
                              f"({os.environ.get('PATH', '')}): install the Debian package 'bubblewrap'")
    if os.geteuid() != 0:
        return SandboxProblem(Cause.NOT_ROOT, f"the worker runs as uid {os.geteuid()}, but the sandbox must "
                              "start as root to give each submission a fresh unprivileged uid: run the "
                              "worker as root in its container (the submissions never run as root)")
    python = Path(os.path.realpath(sys.executable))
    if not python.is_relative_to("/usr"):
        return SandboxProblem(Cause.INTERPRETER_NOT_SYSTEM, f"the interpreter {python} is not under /usr, "
                              "so it cannot be bound into the sandbox: build the virtual environment on the "
                              "system python3 (/usr/bin/python3 -m venv ...)")
    reason = launch.sandbox_available()
    if reason is not None:
        return SandboxProblem(Cause.PROBE_FAILED, reason)
    return None


def _bwrap_problem(stderr: str) -> SandboxProblem:
    """Name the cause of a failed bubblewrap start from what bubblewrap said."""
    said = stderr.strip() or "(bubblewrap printed nothing)"
    lowered = said.lower()
    if "namespace" in lowered or "uid map" in lowered or "unshare" in lowered:
        return SandboxProblem(Cause.NAMESPACES_DENIED, f"bubblewrap could not create its namespaces "
                              f"(user namespaces disabled or the calls blocked): {said}; {_CONTAINER_HINT}")
    if "loopback" in lowered or "rtm_newaddr" in lowered:
        return SandboxProblem(Cause.NETWORK_DENIED, f"bubblewrap could not bring up loopback in the "
                              f"sandbox's network namespace (needs CAP_NET_ADMIN): {said}; {_CONTAINER_HINT}")
    if "mount" in lowered or "pivot_root" in lowered or "slave" in lowered or "newroot" in lowered:
        return SandboxProblem(Cause.MOUNTS_DENIED, f"bubblewrap could not set up the sandbox's file system "
                              f"(mounts refused: CAP_SYS_ADMIN, AppArmor or seccomp): {said}; {_CONTAINER_HINT}")
    if "capabilit" in lowered:
        return SandboxProblem(Cause.NO_UNPRIVILEGED_USER, f"bubblewrap could not keep the capabilities the "
                              f"sandbox needs to switch users ({', '.join(launch.CAPABILITIES)}): {said}")
    return SandboxProblem(Cause.PROBE_FAILED, f"bubblewrap failed: {said}")


def probe_command(uid: int, seccomp_fd: int | None = None) -> list[str]:
    """The sandbox's own bubblewrap command line, running the probe instead of the zygote."""
    command = launch.bwrap_command(0, "", seccomp_fd)
    python = len(command) - _TAIL
    if command[python + 1 : python + 4] != ["-I", "-B", "-c"] or command[-1] != "sandbox":
        raise RuntimeError("the sandbox's launch command changed shape; update worker/preflight.py")
    return [*command[:python], command[python], "-I", "-B", "-c", _PROBE, str(uid)]


def check_sandbox(timeout: float = PROBE_TIMEOUT) -> SandboxReady | SandboxProblem:
    """Start the probe the way the sandbox starts its zygotes; say whether it all worked."""
    problem = _static_problem()
    if problem is not None:
        return problem
    uid = UID_BASE + secrets.randbelow(UID_SPAN)
    command: list[str] = []
    try:
        with seccomp.program_fd() as rules:  # as the zygotes get it
            command = probe_command(uid, rules)
            done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout,
                                  env=_sandbox_environment(), start_new_session=True, check=False,
                                  pass_fds=() if rules is None else (rules,))
    except SandboxUnavailable as error:
        return SandboxProblem(Cause.PROBE_FAILED, str(error))
    except subprocess.TimeoutExpired:
        return SandboxProblem(Cause.PROBE_FAILED, f"the probe did not finish within {timeout:g} s")
    except OSError as error:
        return SandboxProblem(Cause.BWRAP_MISSING, f"cannot start {command[0] if command else 'bwrap'}: "
                                                   f"{error.strerror}")
    stderr = done.stderr.decode("utf-8", "replace")
    lines = done.stdout.decode("utf-8", "replace").strip().splitlines()
    try:
        answer = json.loads(lines[-1]) if lines else None
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        return _bwrap_problem(stderr)
    if answer.get("ok") is True:
        return SandboxReady(bwrap=command[0], uid=int(answer["uid"]), python=str(answer["python"]))
    detail = str(answer.get("detail", ""))
    if stderr.strip():
        detail += f" ({stderr.strip()})"
    cause = Cause(answer.get("cause", Cause.PROBE_FAILED))
    if cause is Cause.INTERPRETER_UNREADABLE:
        if sys.prefix != sys.base_prefix:
            detail += f"; {launch.VENV_MOUNT} in the sandbox is the virtual environment {sys.prefix}"
        detail += ("; the virtual environment and the interpreter must be readable and executable by every "
                   "user (no 0700 directory on the way, not in root's home)")
    elif cause is Cause.NO_UNPRIVILEGED_USER:
        detail += _uid_map_note() or (f"; the sandbox needs {', '.join(launch.CAPABILITIES)} (do not drop "
                                      "them from the container)")
    return SandboxProblem(cause, detail)


def _uid_map_note(path: str = "/proc/self/uid_map") -> str:
    """Why uids may be missing: this process is in a user namespace that maps too few of them."""
    try:
        rows = [line.split() for line in Path(path).read_text().splitlines()]
    except OSError:
        return ""
    mapped = sum(int(row[2]) for row in rows if len(row) == 3 and row[2].isdigit())
    if mapped >= UID_BASE + UID_SPAN:
        return ""
    return (f"; this process runs in a user namespace that maps only {mapped} uid(s), and the sandbox needs "
            f"uids {UID_BASE} to {UID_BASE + UID_SPAN - 1}: run the grader in a container whose user namespace "
            "maps them, or none (rootless Docker and Podman map a small range)")


def require_sandbox(timeout: float = PROBE_TIMEOUT) -> SandboxReady:
    """:func:`check_sandbox`, raising :class:`SandboxUnavailable` with the problem's message."""
    result = check_sandbox(timeout)
    if isinstance(result, SandboxProblem):
        raise SandboxUnavailable(str(result))
    return result
