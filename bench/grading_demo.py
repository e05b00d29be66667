"""The grading demo: validate the fixture course, grade a batch of sample submissions, print a table.

.venv/bin/python bench/grading_demo.py [--count 16]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from samples import FIXTURE_COURSE, SQUARES, write_batch

BIN = Path(sys.executable).parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=16)
    args = parser.parse_args()
    print(f"$ sabaq validate {FIXTURE_COURSE.name}", flush=True)
    validate = subprocess.run([str(BIN / "sabaq"), "validate", str(FIXTURE_COURSE)])
    if validate.returncode != 0:
        return validate.returncode
    with tempfile.TemporaryDirectory(prefix="sabaq-demo-") as tmp:
        batch = write_batch(Path(tmp), args.count, timeouts=1)
        feedback = Path(tmp) / "feedback"
        print(f"\n$ sabaq grade {SQUARES.name} <{len(batch)} submissions> --jobs 2", flush=True)
        result = subprocess.run(
            [
                str(BIN / "sabaq"),
                "grade",
                str(SQUARES),
                *(str(p) for p, _, _ in batch),
                "--jobs",
                "2",
                "--cell-timeout",
                "2",
                "--feedback-dir",
                str(feedback),
            ],
            stdout=subprocess.PIPE,
            text=True,
            check=True,
        )
        reports = [json.loads(line) for line in result.stdout.splitlines()]
        print(f"\n{'submission':<16}{'variant':<14}{'status':<8}{'score':>7}  {'ms':>7}  tests")
        for report, (path, variant, _) in zip(reports, batch, strict=True):
            tests = " ".join(f"{t['grade_id']}={'✓' if t['passed'] else '✗'}" for t in report["tests"])
            score = f"{report['score']:g}/{report['max_score']:g}"
            print(
                f"{path.name:<16}{variant:<14}{report['status']:<8}{score:>7}  "
                f"{report['timings']['total_ms']:7.0f}  {tests}"
            )
        print(f"\nfeedback pages: {len(list(feedback.glob('*.html')))} written (one per submission)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
