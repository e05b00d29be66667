"""The zygote: a warm interpreter inside the sandbox that forks one child per submission.

It runs as root inside bubblewrap (with only the capabilities it needs) but never runs
student code. At start it imports IPython and the preload modules, builds one pristine
shell and the tamper snapshot, then serves jobs from the host over its control socket:
per job it forks a child (see :mod:`.child`), and when the host says the job is over it
kills every remaining process of the job, reaps them (it is their subreaper), wipes the
scratch space and reports the exit statuses.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import importlib
import os
import secrets
import select
import shutil
import signal
import socket
import sys
from typing import Any

_PR_SET_CHILD_SUBREAPER = 36
_MAX_CONTROL_BYTES = 1 << 30


def _prepare_environment(sandboxed: bool) -> str:
    """Set the zygote's environment; return the directory that holds job scratch dirs."""
    import tempfile

    os.umask(0o022)
    base = "/tmp/sabaq" if sandboxed else tempfile.mkdtemp(prefix="sabaq-unsafe-")
    home = base + "/zygote"
    scratch_root = base + "/jobs"
    os.makedirs(home + "/mpl", exist_ok=True)
    os.makedirs(scratch_root, mode=0o711, exist_ok=True)
    os.chmod(scratch_root, 0o711)
    os.environ.update({"HOME": home, "IPYTHONDIR": home + "/ipython", "MPLCONFIGDIR": home + "/mpl",
                       "MPLBACKEND": "module://matplotlib_inline.backend_inline",
                       "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
                       "MKL_NUM_THREADS": "1", "NUMEXPR_NUM_THREADS": "1", "TMPDIR": home})
    return scratch_root


def _preload(names: list[str], shell: Any) -> list[str]:
    warnings: list[str] = []
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as exc:
            warnings.append(f"cannot preload {name!r}: {type(exc).__name__}: {exc}")
    for extra in ("numpy.testing", "pandas.testing", "matplotlib.pyplot", "IPython.display"):
        if extra.split(".")[0] in sys.modules:
            with contextlib.suppress(Exception):
                importlib.import_module(extra)
    if "matplotlib" in sys.modules:
        try:
            shell.enable_matplotlib("inline")
        except Exception as exc:
            warnings.append(f"cannot enable inline matplotlib: {exc}")
    return warnings


_IPC_RMID = 0


class _SysvIpc:
    """Removes every System V shared memory segment, message queue and semaphore set.

    They belong to the sandbox's IPC namespace, not to a process, so they outlive the job
    that made them. Only an object's creator (or CAP_SYS_ADMIN, which the zygote lacks) may
    remove it, so the zygote takes the creator's uid as its effective uid for the call; the
    creator is always a job's uid (an owner can give an object away, never its creation).
    Made before the audit hook is installed: it refuses resolving C functions later.
    """

    def __init__(self, libc: Any) -> None:
        shmctl, msgctl, semctl = libc.shmctl, libc.msgctl, libc.semctl

        def remove_shm(ident: int) -> None:
            shmctl(ident, _IPC_RMID, None)

        def remove_msg(ident: int) -> None:
            msgctl(ident, _IPC_RMID, None)

        def remove_sem(ident: int) -> None:
            semctl(ident, 0, _IPC_RMID, None)

        self.remove = {"shm": remove_shm, "msg": remove_msg, "sem": remove_sem}

    def clear(self) -> None:
        """Remove them all; raise (the zygote ends, and the host replaces this sandbox) if any
        is left, as no later job may meet one."""
        for kind, remove in self.remove.items():
            left = self._rows(kind)
            for row, creator in left:
                cuid = int(row[creator])
                try:
                    if cuid:
                        os.seteuid(cuid)
                    remove(int(row[1]))  # the id is the second column
                finally:
                    if cuid:
                        os.seteuid(0)
            if left and self._rows(kind):
                raise RuntimeError(f"cannot remove the System V {kind} objects a submission left")

    @staticmethod
    def _rows(kind: str) -> list[tuple[list[str], int]]:
        try:
            with open(f"/proc/sysvipc/{kind}") as table:
                header, *rows = [line.split() for line in table]
        except OSError:
            return []
        creator = header.index("cuid")
        return [(row, creator) for row in rows]


def _wipe_job(scratch: str, sandboxed: bool, sysv: _SysvIpc) -> None:
    shutil.rmtree(scratch, ignore_errors=True)
    if not sandboxed:
        return
    sysv.clear()
    for shared in ("/dev/shm", "/dev/mqueue"):
        if os.path.isdir(shared):
            for entry in os.listdir(shared):
                path = os.path.join(shared, entry)
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    with contextlib.suppress(OSError):
                        os.unlink(path)


def _finish(first_pid: int, sandboxed: bool, grace: float) -> tuple[dict[str, int], list[str]]:
    """Kill and reap every process of the job.

    Returns the wait statuses of the processes that ended on their own (given up to
    ``grace`` seconds) and the pids the sandbox had to kill.
    """
    import time

    statuses: dict[str, int] = {}
    deadline = time.monotonic() + grace
    while True:
        _reap_ready(statuses)
        if time.monotonic() >= deadline or not _has_children():
            break
        time.sleep(0.002)
    natural = dict(statuses)
    while True:
        try:
            if sandboxed:
                os.kill(-1, signal.SIGKILL)  # all processes in our PID namespace but us and bwrap
            else:
                os.killpg(first_pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            return natural, [pid for pid in statuses if pid not in natural]
        statuses[str(pid)] = status


def _has_children() -> bool:
    try:
        os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return False
    return True


def _reap_ready(statuses: dict[str, int]) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        statuses[str(pid)] = status


class _Spare:
    """A forked, already unprivileged child waiting for the next job."""

    def __init__(self, control: socket.socket, shell: Any, snapshot: Any, scratch_root: str,
                 sandboxed: bool) -> None:
        from . import child

        self.uid = 200000 + secrets.randbelow(1 << 24) if sandboxed else os.getuid()
        self.scratch = f"{scratch_root}/{secrets.token_hex(12)}"
        os.mkdir(self.scratch, 0o700)
        if sandboxed:
            os.chown(self.scratch, self.uid, self.uid)
        self.link, theirs = socket.socketpair()
        self.pid = os.fork()
        self.session = None if sandboxed else self.pid  # unsafe: the job is its own session
        if self.pid == 0:
            control.close()
            self.link.close()
            child.start(theirs.detach(), self.uid, self.scratch, shell, snapshot, sandboxed)
        theirs.close()


def _interrupt(pid: Any, spare: _Spare) -> None:
    """SIGINT the job's runner, if ``pid`` (which the job reported) is one of the job's."""
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 1 or pid == os.getpid():
        return
    try:
        if os.stat(f"/proc/{pid}").st_uid != spare.uid:
            return
        if spare.session is not None and os.getsid(pid) != spare.session:
            return
        os.kill(pid, signal.SIGINT)
    except OSError:
        pass  # already gone


def _run_job(control: socket.socket, job: dict[str, Any], spare: _Spare, sandboxed: bool,
             sysv: _SysvIpc) -> None:
    from . import wire

    _, fds, _, _ = socket.recv_fds(control, 1, 1)
    if not fds:
        raise RuntimeError("job without a channel descriptor")
    try:
        wire.send(spare.link.fileno(), job)
        socket.send_fds(spare.link, [b"F"], fds[:1])
    except OSError:
        pass  # the spare died; the host sees its channel close and asks for the status
    finally:
        os.close(fds[0])
        spare.link.close()
    wire.send(control.fileno(), {"op": "started", "pid": spare.pid, "uid": spare.uid})
    statuses: dict[str, int] = {}
    while True:
        ready, _, _ = select.select([control], [], [], 0.05)  # reap promptly: zombies count
        # against the submission's process limit until they are reaped
        _reap_ready(statuses)
        if not ready:
            continue
        message = wire.recv(control.fileno(), _MAX_CONTROL_BYTES)
        if message.get("op") == "interrupt":
            _interrupt(message.get("pid"), spare)
            continue
        if message.get("op") != "finish":
            raise RuntimeError(f"unexpected control message {message.get('op')!r} during a job")
        break
    natural, killed = _finish(spare.pid, sandboxed, 0.2 if message.get("grace") else 0.0)
    statuses.update(natural)
    _wipe_job(spare.scratch, sandboxed, sysv)
    wire.send(control.fileno(), {"op": "finished", "statuses": statuses, "killed": killed})


def _warm_up(shell: Any, snapshot: Any) -> None:
    """Run trusted cells once so lazy imports and caches are filled before any fork."""
    from . import capture, guard

    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = capture.Stream("stdout"), capture.Stream("stderr")
    try:
        capture.begin(1 << 16)
        for source in ("1", "print(1)", "1/0", "%time 1", "def f(:"):
            shell.run_cell(source, store_history=False, silent=False)
        guard.run_test(snapshot, "assert 1", "warm", {})
        guard.run_test(snapshot, "assert 0", "warm", {})
    finally:
        sys.stdout, sys.stderr = saved
    shell.execution_count = 1


def main() -> None:
    """Entry point; argv = [control fd, comma-separated preload names, "sandbox"|"unsafe"]."""
    control_fd = int(sys.argv[1])
    preload = [name for name in sys.argv[2].split(",") if name]
    sandboxed = sys.argv[3] == "sandbox"
    scratch_root = _prepare_environment(sandboxed)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    from . import audit, capture, guard, names, wire

    shell = capture.build_shell()
    names.TestNamespace = names.namespace_class(shell.user_ns)  # before the snapshot: protected
    warnings = _preload(preload, shell)
    import IPython.display  # noqa: F401 - warm the display machinery

    from . import child

    signal.signal(signal.SIGINT, child.on_interrupt)  # part of the snapshot: restored for tests
    snapshot = guard.Snapshot(shell)
    _warm_up(shell, snapshot)
    sysv = _SysvIpc(libc)
    audit.install_audit_hook(snapshot)
    gc.collect()
    gc.freeze()  # children then never touch the zygote's objects during GC: less copy-on-write
    control = socket.socket(fileno=control_fd)
    spare = _Spare(control, shell, snapshot, scratch_root, sandboxed)
    wire.send(control_fd, {"op": "ready", "pid": os.getpid(), "warnings": warnings})
    while True:
        try:
            job = wire.recv(control_fd, _MAX_CONTROL_BYTES)
        except wire.PeerClosed:
            return
        if job.get("op") != "job":
            return
        _run_job(control, job, spare, sandboxed, sysv)
        spare = _Spare(control, shell, snapshot, scratch_root, sandboxed)
