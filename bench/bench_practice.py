"""How long the learner waits for a practice run (the Run button), against plain nbconvert.

The block's real ``practice_run`` handler (in a test runtime) sends the learner's answer to a real
Celery grading worker on the embedded SQLite broker (or ``--broker redis``), which runs it and the
visible tests in its warm sandbox; the figure is the median time from the handler's call to its
answer over ``--runs`` runs, after warm-up runs. Side by side, in the same run: the same notebook
(the student version with the same answer) executed by ``jupyter nbconvert --execute``, which is
how a notebook is run without us (a fresh kernel each time, no sandbox), and the ratio.

Run: ``.venv/bin/python bench/bench_practice.py [--runs 10] [--broker sqlite|redis]``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "plugin"))

REDIS = "redis://127.0.0.1:6379/13"


def bench_practice(root: Path, runs: int, broker: str) -> tuple[list[float], dict[str, Any]]:
    """Seconds of each timed practice run (handler call to answer), and the last answer."""
    import servers
    from conftest import Course
    from helpers import call
    from test_practice import RIGHT, olx

    env = servers.environment(root, servers.free_port())
    env.pop("DJANGO_SETTINGS_MODULE")  # a worker alone: no workbench beside it
    bucket: dict[str, Any] = {"PRACTICE_RATE_LIMIT": 0}
    if broker == "redis":
        env.update(SABAQ_BROKER_URL=REDIS, SABAQ_RESULT_BACKEND=REDIS)
        bucket.update(BROKER_URL=REDIS, RESULT_BACKEND=REDIS)
    with servers.worker(root, env):
        course = Course(root / "sabaq", olx())
        course.bucket.pop("CALLBACK_SECRET")
        course.bucket.update(bucket)
        block = course.block("bench-learner")
        answer: dict[str, Any] = {}
        for _ in range(3):  # warm-up: the worker's first run starts its sandbox
            status, answer = call(block, "practice_run", {"answers": {"double": RIGHT}})
            if status != 200:
                raise SystemExit(f"practice run failed: {status} {answer}")
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            status, answer = call(block, "practice_run", {"answers": {"double": RIGHT}})
            times.append(time.perf_counter() - started)
            if status != 200 or answer["passed"] != answer["total"]:
                raise SystemExit(f"practice run failed: {status} {answer}")
        return times, answer


def bench_nbconvert(root: Path, runs: int) -> list[float]:
    """Seconds of each ``jupyter nbconvert --execute`` of the same notebook and answer."""
    from test_practice import RIGHT, instructor

    from sabaq_grading.worker.prepare import page_notebook
    from sabaq_xblock import notebook as nbmod

    notebook = nbmod.fill_answers(page_notebook(instructor()), {"double": RIGHT})
    path = root / "practice.ipynb"
    path.write_text(json.dumps(notebook), "utf-8")
    jupyter = Path(sys.executable).parent / "jupyter"
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([str(jupyter), "nbconvert", "--execute", "--to", "notebook", "--output",
                        str(root / "executed.ipynb"), str(path)], check=True, capture_output=True, cwd=root)
        times.append(time.perf_counter() - started)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="timed practice runs (default 10)")
    parser.add_argument("--nbconvert-runs", type=int, default=3, help="timed nbconvert runs (default 3)")
    parser.add_argument("--broker", choices=("sqlite", "redis"), default="sqlite")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sabaq-bench-practice-") as tmp:
        root = Path(tmp)
        practice, answer = bench_practice(root, options.runs, options.broker)
        nbconvert = bench_nbconvert(root, options.nbconvert_runs)
    ours, theirs = statistics.median(practice), statistics.median(nbconvert)
    print(f"practice run, handler call to answer ({options.broker} broker, warm worker), "
          f"median of {len(practice)}: {ours * 1000:.1f} ms (min {min(practice) * 1000:.1f}, "
          f"max {max(practice) * 1000:.1f}); {answer['passed']} of {answer['total']} visible tests passed")
    print(f"jupyter nbconvert --execute, same notebook, median of {len(nbconvert)}: {theirs * 1000:.1f} ms")
    print(f"ratio (nbconvert / practice run): {theirs / ours:.1f}x")
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        raise SystemExit(main())
