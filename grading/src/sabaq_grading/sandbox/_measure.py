"""Measure the executor's per-submission wall time: ``python -m sabaq_grading.sandbox._measure``.

Runs a trivial three-cell submission (define a function, a passing test, a failing test)
``--runs`` times back to back with one worker, with two workers fed by two threads, and
with one worker and submissions 100 ms apart (idle time lets the next process be prepared
ahead); prints the median wall time of ``run()`` and the median time outside the cells'
own code, and the CPU time spent per submission by the host and the sandbox processes
(which a busy machine distorts far less than wall time).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import statistics
import time

from . import Cell, Executor, RunResult

CELLS = [Cell("define", "def add(a, b):\n    return a + b", "code"),
         Cell("passes", "assert add(1, 2) == 3", "test"),
         Cell("fails", "assert add(1, 2) == 4", "test")]


def _tree_cpu_seconds(root: int) -> float:
    """CPU time of ``root`` and its descendants, including children they already reaped."""
    ticks = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        times[int(entry)] = sum(int(f) for f in fields[11:15]) / ticks
    total, frontier = 0.0, [root]
    while frontier:
        pid = frontier.pop()
        total += times.get(pid, 0.0)
        frontier += [child for child, parent in parents.items() if parent == pid]
    return total


def _cpu_seconds(executor: Executor) -> float:
    own = os.times()
    return own.user + own.system + sum(_tree_cpu_seconds(w._process.pid) for w in executor._all)


def _measure(workers: int, runs: int, unsafe: bool, gap: float) -> str:
    def one(_: int) -> RunResult:
        time.sleep(gap)
        return executor.run(CELLS)

    with Executor(workers=workers, unsafe_no_sandbox=unsafe) as executor:
        for _ in range(3):
            executor.run(CELLS)
        cpu = _cpu_seconds(executor)
        started = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            results: list[RunResult] = list(pool.map(one, range(runs)))
        elapsed = time.perf_counter() - started
        for worker in executor._all:
            worker.settle()
        cpu = _cpu_seconds(executor) - cpu
    assert all([c.status for c in r.cells] == ["ok", "ok", "error"] for r in results)
    wall = statistics.median(r.total_ms for r in results)
    overhead = statistics.median(r.total_ms - r.code_ms for r in results)
    arrival = f"{gap * 1000:.0f} ms apart" if gap else "back to back"
    return (f"workers={workers}, {arrival}: median run() {wall:.1f} ms, median outside the "
            f"cells' code {overhead:.1f} ms, {runs / elapsed:.1f} submissions/s, "
            f"{cpu * 1000 / runs:.1f} ms CPU per submission (host and sandbox), {runs} runs")


def main() -> None:
    """Print the measurements."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--unsafe", action="store_true", help="no sandbox (for comparison)")
    args = parser.parse_args()
    for workers, gap in ((1, 0.0), (2, 0.0), (1, 0.1)):
        print(_measure(workers, args.runs, args.unsafe, gap), flush=True)


if __name__ == "__main__":
    main()
