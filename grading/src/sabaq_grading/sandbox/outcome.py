"""Turning what the host observed during a run into a :class:`RunResult` with a clear message."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Mapping, Sequence
from typing import Any

from .models import Cell, CellResult, CellStatus, Limits, RunEnding, RunResult

_SETUP_FAILED = {70: "the runner failed before it could run the cells",
                 71: "the sandbox could not drop the submission's privileges"}


def describe_exit(status: int | None, limits: Limits, where: str,
                  setup: bool = False) -> tuple[RunEnding, str, CellStatus]:
    """Explain a wait status of the submission's process (``where`` names the cell).

    Whatever the student's code can cause (exiting, being killed by a signal or a limit) is
    ``interpreter_exited`` (or ``timeout`` for the CPU limit); ``crashed`` is kept for the
    sandbox's own failures, which say nothing about the submission. ``setup`` says the
    process died before it announced itself, i.e. before any student code ran.
    """
    if status is None:
        return "crashed", f"the submission's process vanished {where}", "error"
    if os.WIFEXITED(status):
        code = os.WEXITSTATUS(status)
        if setup and code in _SETUP_FAILED:
            return "crashed", f"{_SETUP_FAILED[code]} ({where})", "error"
        return ("interpreter_exited",
                f"the code exited the interpreter with status {code} (for example "
                f"os._exit({code})) {where}; later cells did not run", "error")
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        if number == signal.SIGXCPU:
            return ("timeout", f"the code used more than its CPU time limit of "
                               f"{limits.cpu_seconds} s {where}; later cells did not run",
                    "timeout")
        if number == signal.SIGKILL:
            return ("interpreter_exited",
                    f"the interpreter was killed (SIGKILL) {where}: it exceeded the CPU time "
                    f"limit of {limits.cpu_seconds} s, ran out of memory, or the code killed "
                    f"itself; later cells did not run", "error")
        return ("interpreter_exited", f"the interpreter died of {name} {where} (the code "
                                      f"crashed or killed it); later cells did not run", "error")
    return "crashed", f"the submission's process ended oddly (status {status}) {where}", "error"


class Outcome:
    """What happened during one run, as seen by the host."""

    def __init__(self, limits: Limits, cells: Sequence[Cell]) -> None:
        self.limits = limits
        self.cells = cells
        self.results: list[CellResult] = []
        self.current: int | None = None
        self.pid: int | None = None
        self.peer_closed = False
        self.hello = False
        self.ending: tuple[RunEnding, str, CellStatus] | None = None
        self.cell_started = time.monotonic()
        self.interrupted = False  # the cell in flight was interrupted and has not answered yet

    def interrupt_message(self) -> str:
        """Why a cell that stopped when interrupted counts as timed out."""
        return (f"the cell exceeded the per-cell time limit of {self.limits.cell_timeout:g} s "
                f"and was interrupted")

    def timed_out(self, total_deadline: float) -> None:
        """The cell in flight ran past the per-cell or the per-submission wall time."""
        total = time.monotonic() >= total_deadline - 0.001
        limit = (f"the submission's total time limit of {self.limits.total_timeout:g} s"
                 if total else f"the per-cell time limit of {self.limits.cell_timeout:g} s")
        how = ("it did not stop when interrupted (it ignored or caught KeyboardInterrupt, or "
               "was stuck outside Python), so it was killed" if self.interrupted and not total
               else "it was stopped")
        self.ending = ("timeout", f"{self._where()} exceeded {limit}; {how} and later "
                                  f"cells did not run", "timeout")

    def violation(self, detail: str) -> None:
        """The sandbox broke the protocol: nothing more it says can be trusted."""
        self.ending = ("protocol_violation", f"the submission's process broke the grading "
                                             f"protocol {self._where('during')} ({detail}); "
                                             f"later cells were not graded", "error")

    def _where(self, preposition: str = "in") -> str:
        if self.current is None:
            return "before the first cell" if not self.results else "after the last cell"
        return f"{preposition} cell {self.cells[self.current].cell_id!r}"

    def result(self, statuses: Mapping[str, Any], started: float) -> RunResult:
        """Build the caller's RunResult; every input cell gets exactly one CellResult."""
        cells = self.cells
        ending = self.ending
        if ending is None and self.peer_closed:
            status = statuses.get(str(self.pid)) if self.pid is not None else None
            ending = describe_exit(status if isinstance(status, int) else None, self.limits,
                                   self._where(), setup=not self.hello)
        results = list(self.results)
        if ending is not None:
            ended, message, cell_status = ending
            if self.current is not None and len(results) < len(cells):
                cell = cells[len(results)]
                elapsed = (time.monotonic() - self.cell_started) * 1000.0
                error = None
                if cell_status == "error":
                    error = {"ename": "GradingError", "evalue": message, "traceback": []}
                results.append(CellResult(cell.cell_id, cell_status,
                                          [] if error is None else
                                          [{"output_type": "error", **error}], error, elapsed))
        else:
            ended, message = "completed", ""
        for cell in cells[len(results):]:
            results.append(CellResult(cell.cell_id, "not_run", [], None, 0.0))
        code_ms = sum(r.duration_ms for r in results)
        total_ms = (time.perf_counter() - started) * 1000.0
        return RunResult(results, ended, message, code_ms, total_ms)
