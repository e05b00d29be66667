"""Attack tests for every sandbox limit: network, file system, scratch, CPU, wall time,
memory, processes, file size, output size and privileges."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from sabaq_grading.sandbox import Limits

if TYPE_CHECKING:
    from conftest import Runner

TIGHT = Limits(cell_timeout=3.0, total_timeout=20.0, cpu_seconds=1)


def _probe(sbx: Runner, source: str) -> str:
    """Run attack code that prints its findings; return what it printed."""
    result = sbx(("code", source))
    assert result.ended == "completed", result.message
    assert result.cells[0].status == "ok", result.cells[0].error
    return sbx.text(result, 0)


def test_no_network(sbx: Runner) -> None:
    """PostgreSQL listens on the host's loopback; the sandbox has its own, empty one."""
    source = ("import socket\n"
              "for address in [('127.0.0.1', 5432), ('1.1.1.1', 53), ('10.0.0.1', 80)]:\n"
              "    try:\n"
              "        socket.create_connection(address, timeout=2).close()\n"
              "        print('CONNECTED', address)\n"
              "    except OSError as exc:\n"
              "        print('refused', type(exc).__name__)\n")
    out = _probe(sbx, source)
    assert "CONNECTED" not in out and out.count("refused") == 3


def test_read_only_system(sbx: Runner) -> None:
    source = ("import os\n"
              "for path in ['/usr/evil', '/opt/sabaq/venv/evil', '/evil', '/etc/evil', '/tmp/evil',\n"
              "             '/opt/sabaq/lib/sabaq_runtime/evil.py']:\n"
              "    try:\n"
              "        open(path, 'w').write('x')\n"
              "        print('WROTE', path)\n"
              "    except OSError as exc:\n"
              "        print('denied', path)\n"
              "print(os.access('/usr/bin/python3', os.W_OK))\n")
    out = _probe(sbx, source)
    assert "WROTE" not in out and out.count("denied") == 6 and out.endswith("False\n")


def test_scratch_is_private(sbx: Runner) -> None:
    first = sbx(("code", "import os\nopen('mine.txt', 'w').write('secret')\n"
                         "open('/dev/shm/shared', 'w').write('secret')\nprint(os.getcwd())"))
    assert first.ended == "completed", first.cells[0].error
    cwd = sbx.text(first, 0).strip()
    source = ("import os, glob\n"
              f"print(os.path.exists({cwd!r}), os.listdir('.'), os.listdir('/dev/shm'))\n"
              "try:\n    print(os.listdir('/tmp/sabaq/jobs'))\nexcept OSError:\n    print('no listing')\n"
              "print(glob.glob('/tmp/**/mine.txt', recursive=True))\n")
    for _ in range(2):  # both workers
        assert _probe(sbx, source) == "False [] []\nno listing\n[]\n"


def _in_fresh_python(code: str) -> str:
    """A cell that runs ``code`` in a fresh interpreter (no audit hook: ctypes allowed)."""
    prelude = ("import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
               "KEY, CREATE = 0x5ABA0, 0o1000 | 0o666\n"
               "def count():\n"
               "    tables = sum(1 for kind in ('shm', 'msg', 'sem') for _ in open(f'/proc/sysvipc/{kind}')) - 3\n"
               "    return f\"{tables} {os.readlink('/proc/self/ns/ipc')}\"  # which sandbox's namespace\n")
    return ("import subprocess, sys\n"
            f"done = subprocess.run([sys.executable, '-c', {prelude + code!r}], capture_output=True, text=True)\n"
            "print(done.stdout + done.stderr, end='')\n")


def test_sysv_ipc_objects_do_not_outlive_their_submission(sbx: Runner) -> None:
    """Shared memory, message queues and semaphores live in the sandbox's IPC namespace, not
    in any process: a submission that leaves them must not reach a later one through them."""
    left = _probe(sbx, _in_fresh_python(
        "shm = libc.shmget(KEY, 4096, CREATE)\n"
        "libc.shmat.restype = ctypes.c_void_p\n"
        "ctypes.memmove(libc.shmat(shm, None, 0), b'answers', 7)\n"
        "print(shm >= 0, libc.msgget(KEY + 1, CREATE) >= 0, libc.semget(KEY + 2, 1, CREATE) >= 0, count())\n"))
    assert left.startswith("True True True 3 ")
    probe = _in_fresh_python("print(libc.shmget(KEY, 0, 0), libc.msgget(KEY + 1, 0), libc.semget(KEY + 2, 0, 0), "
                             "count())\n")
    seen = [_probe(sbx, probe) for _ in range(2)]  # both workers
    assert [line.rsplit(" ", 1)[0] for line in seen] == ["-1 -1 -1 0"] * 2, seen
    # the sandbox that held them served a later probe (it was cleaned, not replaced)
    assert left.rsplit(" ", 1)[1] in [line.rsplit(" ", 1)[1] for line in seen]


def test_kernel_keyrings_are_closed_to_submissions(sbx: Runner) -> None:
    """Keys belong to the machine's user namespace, which every sandbox shares: a key a
    submission added, readable by all, would reach any later or concurrent submission."""
    tried = _probe(sbx, _in_fresh_python(
        "libc.syscall.restype = ctypes.c_long\n"
        "number = {'x86_64': 248, 'aarch64': 217}[os.uname().machine]  # add_key\n"
        "added = libc.syscall(number, b'user', b'sabaq-leak', b'answers', 7, ctypes.c_int(-4))\n"
        "print(added, ctypes.get_errno(), 'sabaq-leak' in open('/proc/keys').read())\n"))
    assert tried.startswith("-1 38 False"), tried  # ENOSYS, as on a kernel without keys


def test_concurrent_submissions_do_not_see_each_other(sbx: Runner) -> None:
    outputs: list[str] = []

    def writer() -> None:
        sbx(("code", "import time\nopen('concurrent.txt', 'w').write('x')\ntime.sleep(1.5)"))

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        outputs.append(_probe(sbx, "import time, glob\ntime.sleep(0.5)\n"
                                   "print(glob.glob('/tmp/**/concurrent.txt', recursive=True))"))
    finally:
        thread.join()
    assert outputs == ["[]\n"]


def test_cpu_time_limit(sbx: Runner) -> None:
    result = sbx(("code", "while True:\n    pass"), ("test", "assert True"),
                 limits=Limits(cell_timeout=15.0, total_timeout=30.0, cpu_seconds=1))
    assert result.ended == "timeout"
    assert "CPU time limit of 1 s" in result.message
    assert [c.status for c in result.cells] == ["timeout", "not_run"]


def test_cell_wall_time_limit(sbx: Runner) -> None:
    source = "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\ntime.sleep(60)"
    result = sbx(("code", "x = 1"), ("code", source), ("test", "assert x"),
                 limits=Limits(cell_timeout=2.0, total_timeout=20.0))
    assert result.ended == "timeout"
    assert "cell 'c1' exceeded the per-cell time limit of 2 s" in result.message
    assert [c.status for c in result.cells] == ["ok", "timeout", "not_run"]


def test_total_wall_time_limit(sbx: Runner) -> None:
    result = sbx(("code", "x = 1"), ("code", "import time\ntime.sleep(60)"), ("test", "assert x"),
                 limits=Limits(cell_timeout=30.0, total_timeout=2.0))
    assert result.ended == "timeout"
    assert "cell 'c1' exceeded the submission's total time limit of 2 s" in result.message
    assert [c.status for c in result.cells] == ["ok", "timeout", "not_run"]


def test_memory_limit(sbx: Runner) -> None:
    result = sbx(("code", "block = bytearray(2 << 30)"), ("test", "assert 'block' not in globals()"))
    assert result.ended == "completed"
    error = result.cells[0].error
    assert result.cells[0].status == "error" and error is not None and error["ename"] == "MemoryError"
    assert result.cells[1].status == "ok"


def test_process_limit_contains_a_fork_bomb(sbx: Runner) -> None:
    bomb = ("import os, time\n"
            "children, failure = 0, None\n"
            "for _ in range(200):\n"
            "    try:\n"
            "        pid = os.fork()\n"
            "    except OSError as exc:\n"
            "        failure = type(exc).__name__\n"
            "        break\n"
            "    if pid == 0:\n"
            "        time.sleep(60)\n"
            "        os._exit(0)\n"
            "    children += 1\n"
            "print(children, failure)")
    result = sbx(("code", bomb), ("test", "assert True"))
    assert result.ended == "completed"
    children, failure = sbx.text(result, 0).split()
    assert int(children) < 32 and failure == "BlockingIOError"
    assert result.cells[1].status == "ok"


def test_recursive_fork_bomb_is_stopped(sbx: Runner) -> None:
    bomb = ("import os, time\n"
            "while True:\n"
            "    try:\n"
            "        os.fork()\n"
            "    except OSError:\n"
            "        time.sleep(0.05)")
    result = sbx(("code", bomb), ("test", "assert True"),
                 limits=Limits(cell_timeout=2.0, total_timeout=10.0))
    # interrupted in time if its processes leave the runner enough CPU, else killed
    assert result.cells[0].status == "timeout", result.message
    assert result.cells[1].status == ("ok" if result.ended == "completed" else "not_run")
    after = sbx(("test", "import os\nassert os.fork is not None"))
    assert after.ended == "completed" and after.cells[0].status == "ok"


def test_file_size_limit(sbx: Runner) -> None:
    result = sbx(("code", "open('big.bin', 'wb').write(b'x' * (17 << 20))"), ("test", "assert True"))
    error = result.cells[0].error
    assert error is not None and error["ename"] == "OSError" and "too large" in error["evalue"]
    assert result.ended == "completed" and result.cells[1].status == "ok"


def test_output_is_truncated(sbx: Runner) -> None:
    result = sbx(("code", "chunk = 'x' * (1 << 20)\nfor _ in range(100):\n    print(chunk)"),
                 ("test", "print('small')"))
    assert result.ended == "completed"
    out = sbx.text(result, 0)
    assert len(out) < (256 << 10) + 500 and "[output truncated" in out
    assert sbx.text(result, 1) == "small\n"


def test_unprivileged(sbx: Runner) -> None:
    source = ("import os, signal\n"
              "print(os.getuid() != 0, os.geteuid() != 0, os.getgroups())\n"
              "for attempt in (lambda: os.setuid(0), lambda: open('/root/.bashrc').read(),\n"
              "                lambda: os.kill(os.getppid(), signal.SIGKILL),\n"
              "                lambda: os.kill(1, signal.SIGKILL)):\n"
              "    try:\n"
              "        attempt()\n"
              "        print('ALLOWED')\n"
              "    except OSError as exc:\n"
              "        print(type(exc).__name__)\n")
    out = _probe(sbx, source).splitlines()
    assert out[0] == "True True []"
    assert out[1:] == ["PermissionError", "FileNotFoundError", "PermissionError",
                       "PermissionError"]
    again = sbx(("test", "assert True"), ("test", "assert True"))
    assert again.ended == "completed"


def test_host_environment_does_not_leak(sbx: Runner) -> None:
    out = _probe(sbx, "import os\nprint(' '.join(sorted(os.environ)))").split()
    assert set(out) <= {"HOME", "IPYTHONDIR", "LANG", "LC_ALL", "MKL_NUM_THREADS", "MPLBACKEND",
                        "MPLCONFIGDIR", "NUMEXPR_NUM_THREADS", "OMP_NUM_THREADS",
                        "OPENBLAS_NUM_THREADS", "PATH", "PWD", "PYTHONDONTWRITEBYTECODE", "TMPDIR"}
