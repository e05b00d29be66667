"""Benchmarks of the sabaq_notebook XBlock, measured side by side in one run.

1. A repeat view of a 50-cell lesson (rendered before, so served from the cache)
   against rendering the same notebook with nbconvert's HTMLExporter.
2. Submit → graded latency through a real workbench and a real Celery grading
   worker against one ``nbgrader autograde`` of the same submission from its CLI.

Run: ``.venv/bin/python bench/bench_xblock.py [--submissions 5] [--skip-grading]``.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "plugin"))

PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
        "0000000d49444154789c6360f8cf00000301010018dd8db40000000049454e44ae426082"
    )
).decode()


def lesson(cells: int = 50) -> dict[str, Any]:
    """A lesson of ``cells`` cells: Markdown with maths, code with text and image outputs."""
    body = []
    for i in range(cells // 2):
        body.append(
            {
                "cell_type": "markdown",
                "metadata": {},
                "source": (
                    f"## Step {i}\n\nThe model $y_{i} = a x^2 + b$ with *emphasis*, a [link](https://"
                    f"example.org) and a table:\n\n| x | y |\n|---|---|\n| {i} | {i * i} |\n\n"
                    "$$\\int_0^1 x^2\\,dx = \\frac{1}{3}$$"
                ),
            }
        )
        body.append(
            {
                "cell_type": "code",
                "metadata": {},
                "execution_count": i + 1,
                "source": f"import math\nvalues = [math.sqrt(k) for k in range({i})]\nprint(sum(values))\nvalues",
                "outputs": [
                    {"output_type": "stream", "name": "stdout", "text": f"{i * 1.5}\n"},
                    {
                        "output_type": "display_data",
                        "metadata": {},
                        "data": {"image/png": PNG, "text/plain": "<Figure>"},
                    },
                    {
                        "output_type": "execute_result",
                        "execution_count": i + 1,
                        "metadata": {},
                        "data": {"text/plain": f"[{i}, {i + 1}]"},
                    },
                ],
            }
        )
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "cells": body,
        "metadata": {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}},
    }


def _median(fn: Any, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_view() -> tuple[float, float]:
    """(median seconds of a cached student_view, median seconds of nbconvert HTMLExporter)."""
    import nbformat
    from conftest import Course
    from nbconvert import HTMLExporter

    nb = lesson()
    text = json.dumps(nb)
    olx = (
        f'<sabaq_notebook display_name="Bench"><student_notebook><![CDATA[{text}]]></student_notebook></sabaq_notebook>'
    )
    with tempfile.TemporaryDirectory() as tmp:
        course = Course(Path(tmp), olx)
        block = course.block("bench")
        block.student_view()  # the first view renders and fills the cache
        cached = _median(lambda: course.block("bench").student_view(), 200)
    node = nbformat.reads(text, as_version=4)
    exporter = HTMLExporter()
    exporter.from_notebook_node(node)  # warm up templates once, in its favour
    nbconvert = _median(lambda: exporter.from_notebook_node(node), 7)
    return cached, nbconvert


def _serve(root: Path, stack: contextlib.ExitStack) -> str:
    """A workbench with the test notebook's scenario and a grading worker; returns its address."""
    import notebooks
    import servers

    (root / "scenarios").mkdir()
    (root / "scenarios" / "a.xml").write_text(notebooks.olx(), "utf-8")
    port = servers.free_port()
    env = servers.environment(root, port)
    base: str = stack.enter_context(servers.workbench(root, env, port))
    stack.enter_context(servers.worker(root, env))
    return base


def bench_workbench(submissions: int) -> list[float]:
    """Seconds from POST submit to a graded status, per submission, through the workbench."""
    import servers

    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        base = _serve(Path(tmp), stack)
        client = servers.Client(base, "bench-warmup")
        usage = client.usage_id("sabaq_notebook.0")
        answer = {"answers": {"add": "def add(a, b):\n    return a + b"}}
        _, first = client.post(usage, "submit", answer)  # warms the worker's sandboxes
        client.wait_final(usage, first["submission_id"], limit=300)
        latencies = []
        for _ in range(submissions):
            learner = servers.Client(base, f"bench-{uuid.uuid4().hex[:6]}")
            learner.usage_id("sabaq_notebook.0")
            start = time.perf_counter()
            _, sub = learner.post(usage, "submit", answer)
            final = _poll(learner, usage, sub["submission_id"])
            latencies.append(time.perf_counter() - start)
            assert final["state"] == "graded" and final["score"] == 3.0, final
        return latencies


def bench_burst(count: int) -> tuple[float, int, int]:
    """Submit ``count`` learners' answers at once; (seconds to drain, graded, status errors)."""
    from concurrent.futures import ThreadPoolExecutor

    import servers

    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        base = _serve(Path(tmp), stack)
        learners = [servers.Client(base, f"burst-{i}") for i in range(count)]
        usage = learners[0].usage_id("sabaq_notebook.0")
        for learner in learners:
            learner.usage_id("sabaq_notebook.0")  # session cookie
        answer = {"answers": {"add": "def add(a, b):\n    return a + b"}}
        start = time.perf_counter()
        with ThreadPoolExecutor(16) as pool:
            queued = list(pool.map(lambda c: c.post(usage, "submit", answer)[1], learners))
        pending = {i: q["submission_id"] for i, q in enumerate(queued)}
        graded = errors = 0
        while pending:
            for i, sid in list(pending.items()):
                status, data = learners[i].post(usage, "status", {"submission_id": sid})
                if status != 200:
                    errors += 1
                elif data["state"] in ("graded", "error"):
                    graded += data["state"] == "graded"
                    del pending[i]
            time.sleep(0.2)
        return time.perf_counter() - start, graded, errors


def _poll(client: Any, usage: str, submission_id: str) -> dict[str, Any]:
    while True:
        _, data = client.post(usage, "status", {"submission_id": submission_id})
        if data["state"] in ("graded", "error"):
            return dict(data)
        time.sleep(0.02)


def bench_nbgrader() -> float:
    """Seconds for one ``nbgrader autograde`` of one submission, from its CLI."""
    import notebooks

    from sabaq_xblock import notebook as nbmod

    bin_dir = Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp)
        (course / "nbgrader_config.py").write_text(
            "c = get_config()\nc.CourseDirectory.root = " + repr(str(course)) + "\n"
        )
        source = course / "source" / "ps1"
        source.mkdir(parents=True)
        instructor = notebooks.instructor()
        instructor["metadata"].pop("widgets", None)
        (source / "ps1.ipynb").write_text(json.dumps(instructor), "utf-8")
        run = {"cwd": course, "env": env, "check": True, "capture_output": True}
        subprocess.run([str(bin_dir / "nbgrader"), "generate_assignment", "ps1", "--force"], **run)
        released = json.loads((course / "release" / "ps1" / "ps1.ipynb").read_text("utf-8"))
        answer = nbmod.fill_answers(released, {"add": "def add(a, b):\n    return a + b"})
        submitted = course / "submitted" / "student1" / "ps1"
        submitted.mkdir(parents=True)
        (submitted / "ps1.ipynb").write_text(json.dumps(answer), "utf-8")
        start = time.perf_counter()
        subprocess.run([str(bin_dir / "nbgrader"), "autograde", "ps1", "--create", "--force"], **run)
        elapsed = time.perf_counter() - start
        shutil.rmtree(course / "autograded", ignore_errors=True)
        return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=5)
    parser.add_argument("--skip-grading", action="store_true")
    parser.add_argument("--burst", type=int, default=0, help="also submit this many learners' answers at once")
    args = parser.parse_args()

    cached, nbconvert = bench_view()
    print("repeat view of a 50-cell lesson")
    print(f"  sabaq_notebook student_view (cached): {cached * 1000:9.3f} ms (median of 200)")
    print(f"  nbconvert HTMLExporter:               {nbconvert * 1000:9.3f} ms (median of 7)")
    print(f"  ratio: {nbconvert / cached:,.0f}x faster (target >= 100x)")
    if args.skip_grading:
        return 0
    latencies = bench_workbench(args.submissions)
    autograde = bench_nbgrader()
    median = statistics.median(latencies)
    print("submit -> graded, one submission")
    print(
        f"  workbench + Celery worker: {median:7.3f} s median of {len(latencies)} "
        f"(min {min(latencies):.3f}, max {max(latencies):.3f})"
    )
    print(f"  nbgrader autograde (CLI):  {autograde:7.3f} s")
    print(f"  ratio: {autograde / median:,.1f}x faster")
    if args.burst:
        seconds, graded, errors = bench_burst(args.burst)
        print(f"burst of {args.burst} submissions at once")
        print(
            f"  all drained in {seconds:.1f} s: {graded} graded, "
            f"{args.burst - graded} grading errors, {errors} failed status requests"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
