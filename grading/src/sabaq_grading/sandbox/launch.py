"""How a zygote is started: the bubblewrap command line, and whether the sandbox is usable.

The zygote starts as root inside bubblewrap with fresh IPC, PID, network (loopback only),
UTS and cgroup namespaces, a read-only system, the virtual environment and the in-sandbox
runtime bound read-only at neutral paths, a private tmpfs for scratch space and only the
capabilities it needs to switch each submission to a fresh unprivileged uid and clean up,
under the system call filter of :mod:`.seccomp`.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from ..errors import SandboxUnavailable

RUNTIME_DIR = Path(__file__).resolve().parent / "runtime"
VENV_MOUNT = "/opt/sabaq/venv"
RUNTIME_MOUNT = "/opt/sabaq/lib/sabaq_runtime"
SCRATCH_TMPFS_BYTES = 512 << 20
CAPABILITIES = ("CAP_SETUID", "CAP_SETGID", "CAP_KILL", "CAP_CHOWN", "CAP_DAC_OVERRIDE",
                "CAP_FOWNER")
_ETC_FILES = ("/etc/ld.so.cache", "/etc/localtime", "/etc/fonts", "/etc/mime.types",
              "/etc/ssl/certs/ca-certificates.crt")
_BOOTSTRAP = ("import importlib.util, sys\n"
              "path = sys.argv[1]\n"
              "spec = importlib.util.spec_from_file_location('sabaq_runtime', path + '/__init__.py',"
              " submodule_search_locations=[path])\n"
              "module = importlib.util.module_from_spec(spec)\n"
              "sys.modules['sabaq_runtime'] = module\n"
              "spec.loader.exec_module(module)\n"
              "del sys.argv[1]\n"
              "from sabaq_runtime.zygote import main\n"
              "main()\n")


def _system_python() -> Path:
    return Path(os.path.realpath(sys.executable))


def sandbox_available() -> str | None:
    """Return None if the sandbox can be used here, else what is missing and how to fix it."""
    if not sys.platform.startswith("linux"):
        return f"the grading sandbox needs Linux (this is {sys.platform})"
    if shutil.which("bwrap") is None:
        return ("bubblewrap ('bwrap') is not on PATH: install the Debian package 'bubblewrap' "
                "(bash .ci/setup does), or pass unsafe_no_sandbox=True for local, trusted use")
    if os.geteuid() != 0:
        return ("the grading sandbox must be started as root (it switches every submission to a "
                "fresh unprivileged uid): run the grader as root in its container or VM, or pass "
                "unsafe_no_sandbox=True for local, trusted use")
    python = _system_python()
    if not str(python).startswith("/usr/"):
        return (f"the interpreter {python} is not under /usr, so it cannot be bound into the "
                f"sandbox: build the virtual environment on the system python3 (/usr/bin/python3)")
    return None


def editable_source_dirs() -> list[Path]:
    """Source folders that editable installs put on ``sys.path`` (``*.pth`` lines).

    Packages installed in development mode (``pip install -e``), such as sabaq-widgets,
    live outside the virtual environment; lessons import them inside the sandbox, so
    their source folders are bound read-only at the same path. A folder holding any
    notebook is never bound: instructor material must not be readable inside.
    """
    if sys.prefix == sys.base_prefix:
        return []
    found: list[Path] = []
    for site in Path(sys.prefix).glob("lib/python3*/site-packages"):
        for pth in sorted(site.glob("*.pth")):
            for line in pth.read_text(errors="replace").splitlines():
                path = Path(line.strip())
                if (line.startswith(("import ", "#")) or not path.is_absolute() or not path.is_dir()
                        or path.is_relative_to(sys.prefix) or path in found):
                    continue
                if next(path.rglob("*.ipynb"), None) is None:
                    found.append(path)
    return found


def bwrap_command(control_fd: int, preload: str, seccomp_fd: int | None = None) -> list[str]:
    """The command line that starts one sandboxed zygote; ``seccomp_fd`` holds its system call
    filter (:func:`.seccomp.program_fd`), on the machines that have one."""
    reason = sandbox_available()
    if reason is not None:
        raise SandboxUnavailable(reason)
    command = [shutil.which("bwrap") or "bwrap",
               "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
               "--unshare-cgroup-try", "--die-with-parent", "--new-session",
               "--ro-bind", "/usr", "/usr"]
    for directory in ("/opt", "/opt/sabaq", "/opt/sabaq/lib"):
        command += ["--perms", "0755", "--dir", directory]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/") / name
        if path.is_symlink():
            command += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            command += ["--ro-bind", str(path), str(path)]
    for etc in _ETC_FILES:
        command += ["--ro-bind-try", etc, etc]
    python = f"{VENV_MOUNT}/bin/python3"
    if sys.prefix != sys.base_prefix:
        command += ["--ro-bind", sys.prefix, VENV_MOUNT]
    else:
        python = str(_system_python())
    command += ["--ro-bind", str(RUNTIME_DIR), RUNTIME_MOUNT,
                "--proc", "/proc", "--dev", "/dev",
                "--perms", "0755", "--size", str(SCRATCH_TMPFS_BYTES), "--tmpfs", "/tmp"]
    # After the /tmp tmpfs, which would otherwise hide a checkout that lives under /tmp.
    made = {"/", "/opt", "/opt/sabaq", "/opt/sabaq/lib", "/tmp"}
    for source in editable_source_dirs():
        for parent in reversed(source.parents):  # bwrap would make missing parents 0700
            if str(parent) not in made:
                command += ["--perms", "0755", "--dir", str(parent)]
                made.add(str(parent))
        command += ["--ro-bind", str(source), str(source)]
    command += ["--chdir", "/", "--cap-drop", "ALL"]
    for capability in CAPABILITIES:
        command += ["--cap-add", capability]
    if seccomp_fd is not None:
        command += ["--seccomp", str(seccomp_fd)]
    command += [python, "-I", "-B", "-c", _BOOTSTRAP, RUNTIME_MOUNT, str(control_fd), preload,
                "sandbox"]
    return command


def unsafe_command(control_fd: int, preload: str) -> list[str]:
    """The command line of an unsandboxed zygote (plain forked processes, no isolation)."""
    return [sys.executable, "-I", "-B", "-c", _BOOTSTRAP, str(RUNTIME_DIR), str(control_fd),
            preload, "unsafe"]
