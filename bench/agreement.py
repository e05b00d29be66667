"""Agreement with nbgrader on nbgrader's own corpus: the table behind ``tests/grading/test_nbgrader_corpus.py``.

Runs real ``nbgrader generate_assignment``/``autograde`` and ``sabaq grade`` (sandboxed) over every
scenario of ``tests/grading/nbgrader_corpus.py``, prints each submission that differs cell by cell,
then how many submissions agree on every cell and how many of nbgrader's refusals Sabaq handles.

    .venv/bin/python bench/agreement.py [--keep DIR] [--all] [--courses-at-once 4]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "grading" / "nbgrader_corpus.py"


def load_corpus() -> Any:
    spec = importlib.util.spec_from_file_location("sabaq_tests_nbgrader_corpus", CORPUS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", help="grade in this (new) directory and keep the courses and logs")
    parser.add_argument("--all", action="store_true", help="print every submission's table, not only disagreements")
    parser.add_argument("--courses-at-once", type=int, default=4, help="nbgrader courses run in parallel")
    args = parser.parse_args()
    corpus = load_corpus()
    with tempfile.TemporaryDirectory(prefix="sabaq-agreement-") as scratch:
        workdir = Path(args.keep) if args.keep else Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        graded = corpus.run_corpus(workdir, courses_at_once=args.courses_at_once)
    for outcome in graded.outcomes.values():
        if args.all or corpus.disagreements(outcome):
            print(corpus.explain(outcome), end="\n\n")
    for line in corpus.unreproduced(graded):
        print(f"harness: {line}")
    print(corpus.summary(graded))
    return 0


if __name__ == "__main__":
    sys.exit(main())
