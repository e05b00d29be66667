"""`sabaq worker-check`: a real bubblewrap start, and each way it fails, in real processes.

The grader container runs this check before `celery worker`; every failure here is made
for real (no bubblewrap on PATH, a capability taken away, a user namespace without the
sandbox's uids, a virtual environment outside /usr or unreadable, not root) and must exit 4
with a message naming its cause.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import pytest

from sabaq_grading.cli import EXIT_SANDBOX
from sabaq_grading.worker import preflight

pytestmark = pytest.mark.skipif(
    shutil.which("bwrap") is None or os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="needs bubblewrap, setpriv and root (the grading sandbox's own requirements; bash .ci/setup)",
)

SABAQ = [sys.executable, "-m", "sabaq_grading.cli", "worker-check"]


def run(command: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "SABAQ_DATA_DIR": str(tmp_path / "data"), **env}
    return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=tmp_path,
                          env=environment, check=False)


def dev_venv(tmp_path: Path, name: str, *options: str) -> Path:
    """A virtual environment on Debian's python3 that sees the project's packages."""
    venv = tmp_path / name
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--without-pip", *options, str(venv)], check=True)
    site = Path(sysconfig.get_paths()["purelib"])
    (venv / "lib/python3.11/site-packages/sabaq-dev.pth").write_text(f"import site; site.addsitedir({str(site)!r})\n")
    return venv


def test_the_sandbox_works_here() -> None:
    result = preflight.check_sandbox()
    assert isinstance(result, preflight.SandboxReady), str(result)
    assert result.uid >= preflight.UID_BASE
    assert result.bwrap == shutil.which("bwrap")
    assert result.python == sys.version.split()[0]


def test_the_cli_check_passes_and_names_the_uid(tmp_path: Path) -> None:
    done = run(SABAQ, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "the grading sandbox works here" in done.stdout
    assert "unprivileged uid" in done.stdout


def test_the_probe_uses_the_sandboxs_own_command_line() -> None:
    from sabaq_grading.sandbox import launch

    sandbox, probe = launch.bwrap_command(0, ""), preflight.probe_command(123456)
    assert probe[: len(sandbox) - 9] == sandbox[: len(sandbox) - 9]  # namespaces, mounts, capabilities
    assert probe[len(sandbox) - 9] == launch.VENV_MOUNT + "/bin/python3"
    assert probe[-1] == "123456"


def test_no_bubblewrap_on_path(tmp_path: Path) -> None:
    done = run(SABAQ, tmp_path, PATH=str(tmp_path / "empty-bin"))
    assert done.returncode == EXIT_SANDBOX
    assert "(bwrap_missing)" in done.stderr
    assert "install the Debian package 'bubblewrap'" in done.stderr


@pytest.mark.parametrize(
    ("dropped", "cause", "said"),
    [
        # what Docker's defaults take away: bubblewrap's namespaces, then the sandbox's loopback
        ("-sys_admin", "namespaces_denied", "Creating new namespace failed"),
        ("-net_admin", "network_denied", "loopback"),
        ("-setuid", "no_unprivileged_user", "switching to uid"),
    ],
)
def test_a_missing_capability_is_named(tmp_path: Path, dropped: str, cause: str, said: str) -> None:
    done = run(["setpriv", "--bounding-set", dropped, "--inh-caps", "-all", *SABAQ], tmp_path)
    assert done.returncode == EXIT_SANDBOX, done.stdout
    assert f"({cause})" in done.stderr
    assert said in done.stderr
    if cause != "no_unprivileged_user":
        assert "cap_add: [SYS_ADMIN, NET_ADMIN]" in done.stderr


def test_a_user_namespace_without_the_sandbox_uids(tmp_path: Path) -> None:
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare (util-linux)")
    done = run(["unshare", "--user", "--map-root-user", *SABAQ], tmp_path)
    if "unshare failed" in done.stderr:
        pytest.skip(f"this machine allows no user namespace: {done.stderr.strip()}")
    assert done.returncode == EXIT_SANDBOX
    assert "(no_unprivileged_user)" in done.stderr
    assert "maps only 1 uid(s)" in done.stderr


def test_not_root() -> None:
    with tempfile.TemporaryDirectory() as place:  # pytest's own folders are root's alone
        os.chmod(place, 0o777)
        done = run(["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", *SABAQ], Path(place))
    assert done.returncode == EXIT_SANDBOX, done.stdout
    assert "(not_root)" in done.stderr
    assert "uid 65534" in done.stderr


def test_an_interpreter_outside_usr(tmp_path: Path) -> None:
    venv = dev_venv(tmp_path, "copies", "--copies")
    done = run([str(venv / "bin/python"), *SABAQ[1:]], tmp_path)
    assert done.returncode == EXIT_SANDBOX, done.stdout
    assert "(interpreter_not_system)" in done.stderr
    assert f"{venv}/bin/python is not under /usr" in done.stderr


def test_an_interpreter_the_sandbox_user_cannot_read(tmp_path: Path) -> None:
    venv = dev_venv(tmp_path, "private")
    venv.chmod(0o700)
    done = run([str(venv / "bin/python"), *SABAQ[1:]], tmp_path)
    assert done.returncode == EXIT_SANDBOX, done.stdout
    assert "(interpreter_unreadable)" in done.stderr
    assert "cannot run /opt/sabaq/venv/bin/python3: Permission denied" in done.stderr
    assert f"the virtual environment {venv}" in done.stderr


def test_require_sandbox_raises_the_typed_error(tmp_path: Path) -> None:
    code = (
        "from sabaq_grading.errors import SandboxUnavailable\n"
        "from sabaq_grading.worker.preflight import require_sandbox\n"
        "try:\n    require_sandbox()\n"
        "except SandboxUnavailable as error:\n    print('refused:', error)\n"
    )
    done = run([sys.executable, "-c", code], tmp_path, PATH=str(tmp_path))
    assert done.stdout.startswith("refused: the grading sandbox cannot work here (bwrap_missing)"), done.stderr


@pytest.mark.parametrize(
    ("said", "cause"),
    [
        ("bwrap: No permissions to create new namespace, likely because the kernel does not allow "
         "non-privileged user namespaces.", preflight.Cause.NAMESPACES_DENIED),
        ("bwrap: setting up uid map: Permission denied", preflight.Cause.NAMESPACES_DENIED),
        ("bwrap: Failed to make / slave: Permission denied", preflight.Cause.MOUNTS_DENIED),
        ("bwrap: Can't mount proc on /newroot/proc: Operation not permitted", preflight.Cause.MOUNTS_DENIED),
        ("bwrap: loopback: Failed RTM_NEWADDR: Operation not permitted", preflight.Cause.NETWORK_DENIED),
        ("bwrap: something new", preflight.Cause.PROBE_FAILED),
    ],
)
def test_what_bubblewrap_says_in_other_containers_is_named(said: str, cause: preflight.Cause) -> None:
    """Messages bubblewrap prints under Docker's seccomp and AppArmor defaults and in user
    namespaces, which this machine cannot reproduce."""
    problem = preflight._bwrap_problem(said)
    assert problem.cause is cause
    assert said in str(problem)
