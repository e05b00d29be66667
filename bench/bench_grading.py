"""Grading throughput: ``sabaq grade --jobs 2`` against ``nbgrader autograde``, side by side.

Both grade the same batch of submissions of the fixture assignment (correct,
wrong, partial, raising, metadata-stripped, and a few that never finish) with
the same per-cell timeout, in the same run. Prints each throughput, the ratio,
our per-submission overhead beyond the students' own code, and whether the two
graders agree on every score. Each grades against an assignment prepared before the timed
run (nbgrader: ``generate_assignment``; Sabaq: a first run, which keeps what it prepared),
and the first run's own time is printed too.

    .venv/bin/python bench/bench_grading.py [--count 100] [--jobs 2] [--cell-timeout 2]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from samples import ROOT, SQUARES, is_stripped, write_batch

BIN = Path(sys.executable).parent


def run_sabaq(batch: list[Path], jobs: int, cell_timeout: float, cache: Path) -> tuple[float, list[dict]]:
    command = [
        str(BIN / "sabaq"),
        "grade",
        str(SQUARES),
        *map(str, batch),
        "--jobs",
        str(jobs),
        "--cell-timeout",
        str(cell_timeout),
        "--quiet",
    ]
    started = time.perf_counter()
    env = {**os.environ, "SABAQ_CACHE_DIR": str(cache)}
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"sabaq grade exited {result.returncode}:\n{result.stderr[-4000:]}")
    return elapsed, [json.loads(line) for line in result.stdout.splitlines()]


def nbgrader_course(workdir: Path, batch: list[Path]) -> Path:
    course = workdir / "nbgrader-course"
    source = course / "source" / "squares"
    source.mkdir(parents=True)
    shutil.copy(SQUARES, source / "squares.ipynb")
    shutil.copy(SQUARES.parent / "numbers.csv", source / "numbers.csv")
    (course / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.CourseDirectory.root = {str(course)!r}\nc.CourseDirectory.course_id = 'bench'\n"
    )
    for index, path in enumerate(batch):
        target = course / "submitted" / f"student{index:03d}" / "squares"
        target.mkdir(parents=True)
        shutil.copy(path, target / "squares.ipynb")
        shutil.copy(SQUARES.parent / "numbers.csv", target / "numbers.csv")
    return course


def nbgrader_env() -> dict[str, str]:
    return {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"}


def run_nbgrader(course: Path, cell_timeout: float) -> tuple[float, dict[str, float]]:
    env = nbgrader_env()
    subprocess.run(
        [str(BIN / "nbgrader"), "generate_assignment", "squares", "--create", "--force"],
        cwd=course,
        env=env,
        check=True,
        capture_output=True,
    )
    started = time.perf_counter()
    subprocess.run(
        [
            str(BIN / "nbgrader"),
            "autograde",
            "squares",
            "--create",
            f"--ExecutePreprocessor.timeout={int(cell_timeout)}",
        ],
        cwd=course,
        env=env,
        check=True,
        capture_output=True,
    )
    elapsed = time.perf_counter() - started
    from nbgrader.api import Gradebook

    scores: dict[str, float] = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for student in gradebook.students:
            submission = gradebook.find_submission_notebook("squares", "squares", student.id)
            autograded = sum(
                grade.auto_score or 0 for grade in submission.grades if grade.cell.name.startswith("test-")
            )
            scores[student.id] = autograded
    return elapsed, scores


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--cell-timeout", type=float, default=2.0)
    parser.add_argument("--timeouts", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=5, help="runs of ours, of which the median is reported")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="sabaq-bench-") as tmp:
        workdir = Path(tmp)
        batch = write_batch(workdir / "submissions", args.count, timeouts=args.timeouts)
        paths = [path for path, _, _ in batch]
        print(
            f"batch: {len(paths)} submissions of {SQUARES.relative_to(ROOT)} "
            f"({args.timeouts} never finish; per-cell timeout {args.cell_timeout:g} s for both graders)"
        )

        cache = workdir / "sabaq-cache"
        # the first run prepares the assignment (the student version, by nbgrader's own
        # preprocessors) and keeps it; the second grades against it, as nbgrader autograde
        # grades against the release generate_assignment wrote before (untimed, below)
        cold_seconds, _ = run_sabaq(paths, args.jobs, args.cell_timeout, cache)
        # a run of ours is short enough for a noisy machine to move it: the median of several
        # (nbgrader's one run is long enough to average the noise out itself)
        runs = sorted((run_sabaq(paths, args.jobs, args.cell_timeout, cache) for _ in range(args.repeat)),
                      key=lambda run: run[0])
        sabaq_seconds, reports = runs[len(runs) // 2]
        course = nbgrader_course(workdir, paths)
        nbgrader_seconds, nbgrader_scores = run_nbgrader(course, args.cell_timeout)
        # each grader's fixed cost (process start, warm-up, one submission), to tell apart
        # the throughput of a started grader from the start itself
        sabaq_one = statistics.median(run_sabaq(paths[:1], args.jobs, args.cell_timeout, cache)[0]
                                      for _ in range(args.repeat))
        nbgrader_one, _ = run_nbgrader(nbgrader_course(workdir / "one", paths[:1]), args.cell_timeout)

    count = len(paths)
    ours = count / sabaq_seconds
    theirs = count / nbgrader_seconds
    overheads = [r["timings"]["overhead_ms"] for r in reports if "overhead_ms" in r["timings"]]
    code = [r["timings"]["code_ms"] for r in reports if "code_ms" in r["timings"]]
    stripped = {index for index in range(count) if is_stripped(index)}
    agree = [
        index
        for index, report in enumerate(reports)
        if abs(report["score"] - nbgrader_scores.get(f"student{index:03d}", -1)) < 1e-9
    ]
    agree_intact = sum(1 for index in agree if index not in stripped)
    nbgrader_on_stripped = sum(nbgrader_scores.get(f"student{index:03d}", 0) for index in stripped)
    ours_on_stripped = sum(reports[index]["score"] for index in stripped)
    expected_ok = sum(
        1 for report, (_, _, expected) in zip(reports, batch, strict=True) if abs(report["score"] - expected) < 1e-9
    )
    statuses = {status: sum(1 for r in reports if r["status"] == status) for status in ("graded", "error")}

    print(
        f"sabaq grade --jobs {args.jobs}: {sabaq_seconds:8.2f} s  {ours:7.2f} submissions/s  "
        f"(median of {args.repeat} runs: {', '.join(f'{run[0]:.2f}' for run in runs)} s; process start and "
        f"sandbox warm-up included; the assignment as prepared by an earlier run)"
    )
    print(f"nbgrader autograde:    {nbgrader_seconds:8.2f} s  {theirs:7.2f} submissions/s  "
          f"(the release generate_assignment wrote earlier)")
    print(f"throughput ratio: {ours / theirs:.1f}x")
    print(
        f"preparing the assignment in the same run (a first run): sabaq {cold_seconds:.2f} s, "
        f"ratio {nbgrader_seconds / cold_seconds:.1f}x"
    )
    print(
        f"one submission, start to finish: sabaq {sabaq_one:.2f} s, nbgrader {nbgrader_one:.2f} s; "
        f"the other {count - 1}, once started: sabaq {sabaq_seconds - sabaq_one:.2f} s, "
        f"nbgrader {nbgrader_seconds - nbgrader_one:.2f} s, "
        f"ratio {(nbgrader_seconds - nbgrader_one) / max(sabaq_seconds - sabaq_one, 1e-9):.1f}x"
    )
    print(
        "our overhead beyond the students' own code, per submission: "
        f"median {statistics.median(overheads):.1f} ms, "
        f"p90 {statistics.quantiles(overheads, n=10)[-1]:.1f} ms "
        f"(students' code: median {statistics.median(code):.1f} ms)"
    )
    print(
        f"reports: {statuses['graded']} graded, {statuses['error']} error; "
        f"equal to the expected score: {expected_ok}/{count}; equal to nbgrader's on intact notebooks: "
        f"{agree_intact}/{count - len(stripped)}"
    )
    print(
        f"on the {len(stripped)} notebooks whose metadata another editor stripped: "
        f"sabaq awarded {ours_on_stripped:g} points, nbgrader {nbgrader_on_stripped:g}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
