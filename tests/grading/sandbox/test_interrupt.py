"""A cell past its time limit is interrupted (SIGINT, KeyboardInterrupt) like Jupyter and
nbgrader do, and the run goes on; code that does not stop when interrupted is killed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sabaq_grading.sandbox import Limits

if TYPE_CHECKING:
    from conftest import Runner

QUICK = Limits(cell_timeout=1.5, total_timeout=20.0)
LOOP = "def spin():\n    while True:\n        pass"


def test_endless_loop_is_interrupted_and_later_cells_run(sbx: Runner) -> None:
    result = sbx(("code", "x = 1"), ("code", "while True:\n    pass"), ("code", "y = x + 1"),
                 ("test", "assert y == 2"), limits=QUICK)
    assert result.ended == "completed", result.message
    assert [c.status for c in result.cells] == ["ok", "timeout", "ok", "ok"]
    error = result.cells[1].error
    assert error is not None and error["ename"] == "KeyboardInterrupt"


def test_sleep_is_interrupted(sbx: Runner) -> None:
    result = sbx(("code", "import time\ntime.sleep(60)"), ("test", "assert True"), limits=QUICK)
    assert result.ended == "completed", result.message
    assert [c.status for c in result.cells] == ["timeout", "ok"]


def test_swallowing_the_interrupt_gets_the_job_killed(sbx: Runner) -> None:
    source = ("while True:\n"  # the interrupt lands on a loop's back jump: the inner one
              "    try:\n        while True:\n            pass\n"
              "    except KeyboardInterrupt:\n        pass")
    result = sbx(("code", source), ("test", "assert True"), limits=QUICK)
    assert result.ended == "timeout"
    assert [c.status for c in result.cells] == ["timeout", "not_run"]
    assert "did not stop when interrupted" in result.message and "'c0'" in result.message


def test_ignoring_sigint_gets_the_job_killed(sbx: Runner) -> None:
    source = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"
    result = sbx(("code", source), ("test", "assert True"), limits=QUICK)
    assert result.ended == "timeout"
    assert [c.status for c in result.cells] == ["timeout", "not_run"]
    assert "did not stop when interrupted" in result.message


def test_blocking_sigint_gets_the_job_killed(sbx: Runner) -> None:
    source = ("import signal\nsignal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})\n"
              "while True:\n    pass")
    result = sbx(("code", source), ("test", "assert True"), limits=QUICK)
    assert result.ended == "timeout"
    assert [c.status for c in result.cells] == ["timeout", "not_run"]


def test_test_calling_a_looping_function_times_out_and_the_next_test_runs(sbx: Runner) -> None:
    result = sbx(("code", LOOP + "\ndef ok():\n    return 1"), ("test", "spin()"),
                 ("test", "assert ok() == 1"), ("test", "assert ok() == 2"), limits=QUICK)
    assert result.ended == "completed", result.message
    assert [c.status for c in result.cells] == ["ok", "timeout", "ok", "error"]


def test_catching_the_interrupt_in_a_test_never_passes(sbx: Runner) -> None:
    source = ("def answer():\n"
              "    try:\n"
              "        while True:\n"
              "            pass\n"
              "    except KeyboardInterrupt:\n"
              "        return 42")
    result = sbx(("code", source), ("test", "assert answer() == 42"), ("test", "assert True"),
                 limits=QUICK)
    assert result.ended == "completed", result.message
    assert [c.status for c in result.cells] == ["ok", "timeout", "ok"]
    error = result.cells[1].error
    assert error is not None and error["ename"] == "TimeoutError"
    assert "interrupted" in error["evalue"]


def test_total_time_limit_kills_without_interrupting(sbx: Runner) -> None:
    result = sbx(("code", "x = 1"), ("code", "while True:\n    pass"), ("test", "assert x"),
                 limits=Limits(cell_timeout=30.0, total_timeout=2.0))
    assert result.ended == "timeout"
    assert "the submission's total time limit of 2 s" in result.message
    assert [c.status for c in result.cells] == ["ok", "timeout", "not_run"]


def test_interrupts_add_up_to_the_total_time_limit(sbx: Runner) -> None:
    result = sbx(*[("code", "while True:\n    pass")] * 5,
                 limits=Limits(cell_timeout=1.0, total_timeout=2.5))
    assert result.ended == "timeout"
    statuses = [c.status for c in result.cells]
    assert statuses[:3] == ["timeout"] * 3 and statuses[3:] == ["not_run"] * 2
    assert "total time limit" in result.message


def test_late_interrupt_does_not_break_the_runner(sbx: Runner) -> None:
    """SIGINT outside a cell (here sent by the code itself to its runner) is ignored."""
    source = ("import os, signal, threading, time\n"
              "pid = os.getpid()\n"
              "def later():\n"
              "    time.sleep(0.2)\n"
              "    for _ in range(20):\n"
              "        os.kill(pid, signal.SIGINT)\n"
              "        time.sleep(0.01)\n"
              "threading.Thread(target=later, daemon=True).start()")
    result = sbx(("code", source), ("code", "import time\ntime.sleep(0.6)"), ("code", "1"))
    assert result.ended == "completed", result.message
    assert result.cells[0].status == "ok" and result.cells[2].status == "ok"
