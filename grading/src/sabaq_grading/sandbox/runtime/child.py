"""The per-submission child: forked from the zygote, drops privileges, then runs cells.

It talks to the host directly over its own socket. The host sends one cell at a time
(tests only when it is their turn) with a fresh nonce; the child answers with exactly one
result frame echoing it. When the host says the next cell is a test, the child first kills
every other process of the submission and, if student threads are still alive, forks itself
so that only a single-threaded runner is left to read the test from the channel.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import resource
import select
import signal
import socket
import sys
import time
from typing import Any

from . import capture, guard, names, wire

CHANNEL_FD = 3
LINK_FD = 4
MAX_REQUEST_BYTES = 64 << 20
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_DUMPABLE = 4
DUMPABLE = 0
# whether a cell is running: only then does the host's interrupt (SIGINT) raise
# KeyboardInterrupt; outside a cell the runner ignores it
_ARMED = [False]


def on_interrupt(signum: int, frame: Any) -> None:
    """The SIGINT handler, installed in the zygote before the tamper snapshot is taken."""
    if _ARMED[0]:
        raise KeyboardInterrupt


def _drop_privileges(uid: int) -> None:
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    # no other process (a fresh interpreter the code starts, without the audit hook) may
    # read or write this one's memory or ptrace it
    libc.prctl(_PR_SET_DUMPABLE, DUMPABLE, 0, 0, 0)
    try:
        os.setuid(0)
    except PermissionError:
        pass
    else:
        os._exit(71)
    if os.getuid() == 0 or os.geteuid() == 0 or os.getegid() == 0:
        os._exit(71)


def _set_limits(limits: dict[str, Any]) -> None:
    cpu = int(limits["cpu_seconds"])
    for rlimit, soft, hard in (
        (resource.RLIMIT_CPU, cpu, cpu + 2),
        (resource.RLIMIT_AS, limits["memory_bytes"], limits["memory_bytes"]),
        (resource.RLIMIT_NPROC, limits["processes"], limits["processes"]),
        (resource.RLIMIT_FSIZE, limits["file_size_bytes"], limits["file_size_bytes"]),
        (resource.RLIMIT_NOFILE, limits["open_files"], limits["open_files"]),
        (resource.RLIMIT_CORE, 0, 0),
    ):
        if soft is not None:
            resource.setrlimit(rlimit, (int(soft), int(hard)))


def _write_files(files: dict[str, str]) -> None:
    import base64

    for relative, encoded in files.items():
        parent = os.path.dirname(relative)
        if parent:
            os.makedirs(parent, exist_ok=True)
        with open(relative, "wb") as handle:
            handle.write(base64.b64decode(encoded))


def start(link: int, uid: int, scratch: str, shell: Any, snapshot: guard.Snapshot,
          sandboxed: bool) -> None:
    """Become a spare submission process, wait for a job on ``link``, run it; never returns.

    Everything that does not depend on the job (privilege drop, touching the shared pages
    a run will write to) happens before the job arrives, off the submission's critical path;
    when the job is already waiting, the warm-up would only add work, so it is skipped.
    """
    code = 70
    try:
        if link != LINK_FD:
            os.dup2(link, LINK_FD, inheritable=False)
        os.closerange(CHANNEL_FD, LINK_FD)
        os.closerange(LINK_FD + 1, 1 << 16)
        null = os.open("/dev/null", os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.close(null)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.chdir(scratch)
        for key in ("HOME", "IPYTHONDIR", "MPLCONFIGDIR", "TMPDIR", "PWD"):
            os.environ[key] = scratch
        if sandboxed:
            _drop_privileges(uid)
        else:
            os.setsid()  # one process group, so the zygote can kill exactly this job
        if not select.select([LINK_FD], [], [], 0)[0]:  # idle: warm up while waiting; busy
            _prewarm(shell, snapshot)  # (a job is already there): the job itself warms up
        job = wire.recv(LINK_FD, MAX_REQUEST_BYTES)
        link_socket = socket.socket(fileno=LINK_FD)
        _, fds, _, _ = socket.recv_fds(link_socket, 1, 1)
        link_socket.close()
        if len(fds) != 1:
            raise RuntimeError("the job came without its channel")
        if fds[0] != CHANNEL_FD:
            os.dup2(fds[0], CHANNEL_FD, inheritable=False)
        os.set_inheritable(CHANNEL_FD, False)
        os.closerange(CHANNEL_FD + 1, 1 << 16)
        limits = job["limits"] if sandboxed else {**job["limits"], "processes": None}
        _set_limits(limits)  # only ever lowers them, which needs no privilege
        _write_files(job.get("files") or {})
        os.environ.update(job.get("environment") or {})
        code = _serve(shell, snapshot, int(job["limits"]["output_bytes"]), sandboxed)
    except BaseException as exc:
        code = 70
        try:
            where = exc.__traceback__
            while where is not None and where.tb_next is not None:
                where = where.tb_next
            line = f" (line {where.tb_lineno})" if where is not None else ""
            wire.send(CHANNEL_FD, {"op": "fatal",
                                   "detail": f"{type(exc).__name__}: {exc}{line}"})
        except BaseException:
            pass
    finally:
        os._exit(code)


def _prewarm(shell: Any, snapshot: guard.Snapshot) -> None:
    """Copy-on-write the pages a run touches first, before the job's clock starts."""
    capture.begin(1 << 12)
    sys.stdout, sys.stderr = capture.Stream("stdout"), capture.Stream("stderr")
    shell.run_cell("pass", store_history=False)
    guard.run_test(snapshot, "pass", "prewarm", {})
    sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    shell.execution_count = 1


def _serve(shell: Any, snapshot: guard.Snapshot, budget: int, sandboxed: bool) -> int:
    """Answer cell requests until the host says done.

    Student code can rebind anything reachable through ``sys.modules``, including this
    runner's modules and the ones it talks through. So everything the loop needs is bound
    to locals before the first cell, and after every cell the loop re-seats the guard
    module, the snapshot and its class from those locals (code student code cannot
    change), then lets the snapshot heal the rest before a single byte is sent.
    """
    stdout, stderr = capture.Stream("stdout"), capture.Stream("stderr")
    wire.send(CHANNEL_FD, {"op": "hello", "pid": os.getpid()})
    recv, send, run_test, isolate = wire.recv, wire.send, _run_test, _isolate
    heal, begin, perf_counter = guard.Snapshot.heal, capture.begin, time.perf_counter
    set_blocking, getpid, describe = os.set_blocking, os.getpid, guard.describe
    bool_, reseat_ = bool, _reseat
    gc_enable, graveyard = gc.enable, snapshot.graveyard
    armed, note, run_code = _ARMED, guard.Snapshot.note_namespace, guard.run_cell
    as_output = guard.error_output
    after_student, after_instructor = names.after_student_cell, names.after_instructor_cell
    user_ns, copy = shell.user_ns, dict
    noted: tuple[tuple[str, Any], ...] = ()
    owned: names.Owned = ()  # what the instructor's cells and the tests bound (see names)
    seats = tuple((owner, vars(owner), tuple(vars(owner).items()), frozenset(vars(owner)))
                  for owner in (guard, snapshot, guard.Snapshot))

    while True:
        reseat_(seats, graveyard, heal, snapshot)
        set_blocking(CHANNEL_FD, True)  # student code may have made it non-blocking
        request = recv(CHANNEL_FD, MAX_REQUEST_BYTES)
        gc_enable()
        if request.get("op") != "cell":
            return 0
        # read before the cell runs: its code can reach this frame's objects, not rebind
        # its variables
        role, source, cell_id = request["role"], request["source"], request["cell_id"]
        nonce, isolate_after = request["nonce"], bool_(request.get("isolate_after"))
        box: list[Any] = []
        sink = begin(budget)
        sys.stdout, sys.stderr = stdout, stderr
        started = perf_counter()
        try:
            armed[0] = True
            if role == "test":
                values: list[Any] = []
                passed, error, owned = run_test(snapshot, source, cell_id, request.pop("proof", ""),
                                                box, values, owned, noted)
                if error is not None:
                    sink.rich(as_output(error))
            else:
                before = copy(user_ns) if role == "locked" else None
                result = run_code(shell, source)
                owned = (after_student(owned, user_ns) if before is None
                         else after_instructor(owned, before, user_ns))
                del before
                passed, error = bool_(result.success), sink.error
                if not passed and error is None:
                    error = describe(result.error_in_exec or result.error_before_exec
                                     or RuntimeError("the cell failed"))
            armed[0] = False
        except KeyboardInterrupt as exc:  # interrupted between the cell's code and the runner's
            armed[0] = False
            passed, error = False, describe(exc)
            sink.rich(as_output(error))
        elapsed = (perf_counter() - started) * 1000.0
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        reseat_(seats, graveyard, heal, snapshot)
        if isolate_after:
            isolate(sandboxed)  # before the answer: nobody else may read the next request
            reseat_(seats, graveyard, heal, snapshot)
        noted = note(snapshot, shell.user_ns, noted)
        send(CHANNEL_FD, {"op": "result", "nonce": nonce, "pid": getpid(),
                          "status": "ok" if passed else "error", "outputs": sink.outputs,
                          "error": error, "duration_ms": elapsed,
                          "proof": box[-1] if passed and box else None})
        del graveyard[:], box[:]


def _run_test(snapshot: guard.Snapshot, source: str, cell_id: str, proof: str, box: list[Any],
              values: list[Any], owned: names.Owned, noted: tuple[tuple[str, Any], ...],
              _begin: Any = names.begin, _finish: Any = names.finish, _seal: Any = guard.seal,
              _exec: Any = guard.run_test, _class: Any = names.TestNamespace,
              _show: Any = capture.show_result, _describe: Any = guard.describe) -> \
        tuple[bool, dict[str, Any] | None, names.Owned]:
    """Run one test in its own namespace; return (passed, error, what the instructor owns now).

    Everything student code can run during (its functions, the ``__str__`` of an error it
    raised, the ``__repr__`` of the test's last value) happens inside this function, which the
    audit hook counts as the test: no frame, no ctypes. The proof is handed to the sealed
    chain and dropped from this frame before the test starts.
    """
    user_ns = snapshot.shell.user_ns
    test_ns = _begin(_class, (*owned, *noted))
    sealed, codes = _seal(proof, test_ns, box, values)
    del proof
    passed, error = _exec(snapshot, source, cell_id, user_ns, sealed, codes, noted, test_ns)
    if error is None and len(values) != 1:  # code the test called reached into the runner
        passed, error = False, _describe(RuntimeError("the test's result was tampered with"))
    elif error is None and values[0] is not None:
        _show(snapshot.shell, values.pop())
    return passed, error, _finish(test_ns)


def _reseat(seats: tuple[tuple[Any, Any, tuple[tuple[str, Any], ...], frozenset[str]], ...],
            graveyard: list[Any], heal: Any, snapshot: guard.Snapshot, _list: Any = list,
            _setattr: Any = setattr, _delattr: Any = delattr,
            _gc_disable: Any = gc.disable) -> None:
    """Re-seat the guard from the runner's variables, then heal the transport modules.

    Not a closure of the runner: code that reaches the runner's frames could rewrite a
    closure's cells (``cell_contents`` has no audit event), but not the defaults of a
    protected function nor the runner's own variables.
    """
    _gc_disable()  # no finalizer may run between here and the answer
    for owner, live, saved, keys in seats:
        for key in [k for k in _list(live) if k not in keys]:
            graveyard.append(live.get(key))
            _delattr(owner, key)
        for key, value in saved:
            old = live.get(key, seats)
            if old is not value:
                graveyard.append(old)
                _setattr(owner, key, value)
    heal(snapshot)


def _isolate(sandboxed: bool) -> None:
    """Leave the test alone with the runner: no other process, no other thread."""
    if sandboxed:
        with contextlib.suppress(ProcessLookupError):
            os.kill(-1, signal.SIGKILL)  # every other process of this uid; never ourselves
        while True:  # our own children stay zombies (and count as processes) until reaped
            try:
                os.waitpid(-1, 0)
            except ChildProcessError:
                break
    if len(os.listdir("/proc/self/task")) == 1:
        return
    old = os.getpid()
    for _attempt in range(60):
        try:
            pid = os.fork()
            break
        except BlockingIOError:  # killed grandchildren count until the zygote reaps them
            time.sleep(0.05)
    else:
        raise RuntimeError("cannot fork a single-threaded runner for the next test")
    if pid != 0:
        os._exit(75)  # the new process below kills this one; exit at once if it does not
    try:
        os.kill(old, signal.SIGKILL)
    except ProcessLookupError:
        return
    while True:
        try:
            with open(f"/proc/{old}/stat", "rb") as handle:
                state = handle.read().rsplit(b")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return
        if state in (b"Z", b"X"):
            return
        time.sleep(0.0005)
