"""Measure the executor's per-submission wall time: ``python -m sabaq_grading.sandbox._measure``.

Runs a trivial three-cell submission (define a function, a passing test, a failing test)
``--runs`` times with one worker, then with two workers fed by two threads, and prints the
median wall time of ``run()`` and the median time outside the cells' own code.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import statistics
import time

from . import Cell, Executor, RunResult

CELLS = [Cell("define", "def add(a, b):\n    return a + b", "code"),
         Cell("passes", "assert add(1, 2) == 3", "test"),
         Cell("fails", "assert add(1, 2) == 4", "test")]


def _measure(workers: int, runs: int, unsafe: bool) -> str:
    with Executor(workers=workers, unsafe_no_sandbox=unsafe) as executor:
        for _ in range(3):
            executor.run(CELLS)
        started = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            results: list[RunResult] = list(pool.map(lambda _: executor.run(CELLS), range(runs)))
        elapsed = time.perf_counter() - started
    assert all([c.status for c in r.cells] == ["ok", "ok", "error"] for r in results)
    wall = statistics.median(r.total_ms for r in results)
    overhead = statistics.median(r.total_ms - r.code_ms for r in results)
    return (f"workers={workers}: median run() {wall:.1f} ms, median outside the cells' code "
            f"{overhead:.1f} ms, throughput {runs / elapsed:.1f} submissions/s over {runs} runs")


def main() -> None:
    """Print the measurements."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--unsafe", action="store_true", help="no sandbox (for comparison)")
    args = parser.parse_args()
    for workers in (1, 2):
        print(_measure(workers, args.runs, args.unsafe))


if __name__ == "__main__":
    main()
