"""Setting the executor up: a missing sandbox is a clear error, unsafe mode works without
one, and a dead worker is reported and replaced."""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sabaq_grading.errors import SandboxUnavailable
from sabaq_grading.sandbox import Cell, Executor, Limits, sandbox_available


def test_missing_bubblewrap_is_a_clear_error(monkeypatch: pytest.MonkeyPatch,
                                             tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    reason = sandbox_available()
    assert reason is not None and "bubblewrap" in reason and "unsafe_no_sandbox" in reason
    with pytest.raises(SandboxUnavailable, match="bubblewrap"):
        Executor()


def test_not_root_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    if sandbox_available() is not None:
        pytest.skip(f"sandbox not available here: {sandbox_available()}")
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(SandboxUnavailable, match="root"):
        Executor()


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="workers"):
        Executor(workers=0, unsafe_no_sandbox=True, preload=())
    with pytest.raises(ValueError, match="cell_timeout"):
        Limits(cell_timeout=0)
    with pytest.raises(ValueError, match="role"):
        Cell("x", "1", "markdown")  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def unsafe() -> Iterator[Executor]:
    with Executor(unsafe_no_sandbox=True, preload=(),
                  limits=Limits(cell_timeout=10.0, total_timeout=30.0)) as ex:
        yield ex


def test_unsafe_mode_warns_and_runs(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING), Executor(unsafe_no_sandbox=True, preload=()) as ex:
        result = ex.run([Cell("a", "def f(x):\n    return x + 1\nprint(f(1))", "code"),
                         Cell("b", "assert f(1) == 2", "test"),
                         Cell("c", "assert f(1) == 3", "test")], files={"d.txt": b"data"})
    assert "SANDBOX DISABLED" in caplog.text
    assert [c.status for c in result.cells] == ["ok", "ok", "error"]
    assert result.cells[0].outputs[0]["text"] == "2\n"


def test_unsafe_mode_reports_exits(unsafe: Executor) -> None:
    result = unsafe.run([Cell("a", "import os\nos._exit(3)", "code"), Cell("b", "1", "test")])
    assert result.ended == "interpreter_exited" and "status 3" in result.message
    assert [c.status for c in result.cells] == ["error", "not_run"]


def test_dead_idle_worker_is_replaced_transparently(unsafe: Executor) -> None:
    unsafe.run([Cell("a", "1", "code")])
    worker = unsafe._all[0]
    os.kill(worker._process.pid, 9)
    worker._process.wait()
    result = unsafe.run([Cell("a", "import sys\nprint(sys.version_info[0])", "code")])
    assert result.ended == "completed"
    assert result.cells[0].outputs[0]["text"] == f"{sys.version_info[0]}\n"
    assert worker not in unsafe._all


def test_worker_dying_mid_run_is_reported(unsafe: Executor) -> None:
    unsafe.run([Cell("a", "1", "code")])
    worker = unsafe._all[0]
    worker.settle()
    killer = threading.Timer(0.3, lambda: os.kill(worker._process.pid, 9))
    killer.start()
    try:
        broken = unsafe.run([Cell("a", "import time\ntime.sleep(1)", "code"),
                             Cell("b", "1", "code")])
    finally:
        killer.join()
    assert broken.ended == "crashed" and "sandbox worker failed" in broken.message
    healed = unsafe.run([Cell("a", "1 + 1", "code")])
    assert healed.ended == "completed"


def test_replaced_sandbox_worker_stays_up(executor: Executor) -> None:
    """A replacement zygote must outlive the moment it was started in."""
    victim = executor._all[0]
    os.kill(victim._process.pid, 9)
    victim._process.wait()
    for _ in range(4):
        result = executor.run([Cell("a", "1 + 1", "code")])
        assert result.ended in ("completed", "crashed")
    deadline = time.monotonic() + 120
    while len(executor._all) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(executor._all) == 2 and victim not in executor._all
    time.sleep(0.5)
    assert all(worker.alive() for worker in executor._all)
    results = [executor.run([Cell("a", "1 + 1", "code")]) for _ in range(4)]
    assert [r.ended for r in results] == ["completed"] * 4


def test_a_pool_started_small_grows_only_when_runs_wait() -> None:
    cells = [Cell("wait", "import time\ntime.sleep(0.5)", "code")]
    with Executor(workers=2, unsafe_no_sandbox=True, preload=(), initial=1) as pool:
        assert len(pool._all) == 1
        for _ in range(3):  # one at a time: the one worker is always idle when asked
            assert pool.run([Cell("c", "1", "code")]).ended == "completed"
        assert len(pool._all) == 1
        results: list[str] = []
        runners = [threading.Thread(target=lambda: results.append(pool.run(cells).ended)) for _ in range(3)]
        for runner in runners:
            runner.start()
        for runner in runners:
            runner.join(timeout=60)
        assert results == ["completed"] * 3
        deadline = time.monotonic() + 60
        while len(pool._all) < 2 and time.monotonic() < deadline:  # the added one may still be starting
            time.sleep(0.05)
        assert len(pool._all) == 2  # grew, but never beyond its workers
