"""The ``sabaq`` command: validate, release and grade notebook assignments.

Errors are mapped to exit codes in one place (``EXIT_CODES``); progress goes
to stderr, results to stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .cli_sharing import add_commands as add_sharing_commands
from .errors import (
    BundleError,
    CourseError,
    KeyFileError,
    NotebookError,
    SabaqError,
    SandboxUnavailable,
    UsageError,
    ValidationFailed,
)
from .startup import light_nbgrader, skip_format_checkers

if TYPE_CHECKING:
    from .engine import Grader

EXIT_OK, EXIT_UNSOUND, EXIT_USAGE, EXIT_INPUT, EXIT_SANDBOX, EXIT_INTERNAL = 0, 1, 2, 3, 4, 70


EXIT_CODES: tuple[tuple[type[BaseException], int], ...] = (
    (UsageError, EXIT_USAGE),
    (ValidationFailed, EXIT_UNSOUND),
    (BundleError, EXIT_UNSOUND),
    (SandboxUnavailable, EXIT_SANDBOX),
    (CourseError, EXIT_INPUT),
    (KeyFileError, EXIT_INPUT),
    (NotebookError, EXIT_INPUT),
    (SabaqError, EXIT_INPUT),
)
UNSAFE_FLAG = "--unsafe-no-sandbox"


def _progress(iterable: Iterable[Any], total: int, description: str, quiet: bool) -> Iterator[Any]:
    if quiet:  # not even imported: tqdm's locks import multiprocessing
        yield from iterable
        return
    from tqdm import tqdm

    yield from tqdm(
        iterable, total=total, desc=description, unit="nb", file=sys.stderr, disable=quiet, dynamic_ncols=True
    )


def _limits(args: argparse.Namespace) -> Any:
    from .sandbox import Limits

    try:
        return Limits(cell_timeout=args.cell_timeout, total_timeout=args.timeout)
    except ValueError as error:
        raise UsageError(str(error)) from error


def _warn_about_sandboxes(args: argparse.Namespace) -> None:
    if args.unsafe_no_sandbox:
        print(
            "sabaq: WARNING: --unsafe-no-sandbox runs student code with YOUR privileges, network and "
            "files. Never use it on code you did not write.",
            file=sys.stderr,
        )
    from .sandboxes import oversubscribed

    too_many = oversubscribed(args.jobs)
    if too_many:
        print(f"sabaq: warning: --jobs {args.jobs}: {too_many}", file=sys.stderr)


def _settings(args: argparse.Namespace, limits: Any) -> Any:
    from .engine import GradingSettings

    try:
        return GradingSettings(
            workers=args.jobs,
            limits=limits,
            unsafe_no_sandbox=args.unsafe_no_sandbox,
            ignore_pattern=getattr(args, "ignore_pattern", ""),
        )
    except ValueError as error:
        raise UsageError(str(error)) from error


def _grader(args: argparse.Namespace, instructor: Path | None) -> Grader:
    """A grader whose sandboxes start before the engine is imported, so the two overlap."""
    from .sandboxes import Sandboxes

    limits = _limits(args)
    _warn_about_sandboxes(args)
    sandboxes = Sandboxes(args.jobs, limits, unsafe_no_sandbox=args.unsafe_no_sandbox)
    sandboxes.start(instructor)
    try:
        from .engine import Grader

        return Grader(_settings(args, limits), sandboxes=sandboxes)
    except BaseException:
        sandboxes.close()
        raise


def cmd_grade(args: argparse.Namespace) -> int:
    instructor = Path(args.instructor)
    for path in [args.instructor, *args.submissions, *filter(None, [args.header, args.footer])]:
        if not Path(path).is_file():
            raise UsageError(f"{path}: no such notebook file")
    with _grader(args, instructor) as grader:
        from .engine import Assignment
        from .feedback import feedback_html, feedback_paths, visible_sources

        header = Path(args.header) if args.header else None
        footer = Path(args.footer) if args.footer else None
        prepare = Assignment.from_notebook if args.no_cache else Assignment.cached
        assignment = grader.assignment(prepare(instructor, header=header, footer=footer))
        sources = visible_sources(assignment.release)
        feedback_dir = Path(args.feedback_dir) if args.feedback_dir else None
        if feedback_dir:
            feedback_dir.mkdir(parents=True, exist_ok=True)

        def grade(path: str) -> dict[str, Any]:
            return grader.grade(assignment, Path(path), name=path)

        pages = feedback_paths(args.submissions)
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            results = pool.map(grade, args.submissions)
            for index, report in enumerate(_progress(results, len(args.submissions), "grading", args.quiet)):
                sys.stdout.write(json.dumps(report, ensure_ascii=False) + "\n")
                sys.stdout.flush()
                if feedback_dir:
                    page = feedback_html(report, visible_sources=sources, title=f"Feedback: {report['submission']}")
                    target = feedback_dir / pages[index]
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_text(page, "utf-8")
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    from .validation_run import validate_paths

    def count(number: int, word: str) -> str:
        return f"{number} {word}{'' if number == 1 else 's'}"

    _warn_about_sandboxes(args)
    problems = validate_paths([Path(p) for p in args.paths], _settings(args, _limits(args)), quiet=args.quiet)
    for problem in problems:
        print(problem)
    errors = sum(problem.is_error for problem in problems)
    counts = f"{count(errors, 'error')}, {count(len(problems) - errors, 'note')}"
    if errors:
        raise ValidationFailed(f"{counts}: the course is not sound yet")
    if args.strict and problems:
        raise ValidationFailed(f"{counts}: --strict counts notes as failures")
    print(
        f"sabaq: sound ({counts}): every reference solution earns full marks, every blank version earns zero, "
        "no test passes for an answer that does nothing, every lesson runs"
    )
    return EXIT_OK


def cmd_release(args: argparse.Namespace) -> int:
    from .course import load_course
    from .release import release_course

    course = load_course(args.course)
    written = release_course(course, Path(args.out))
    print(f"sabaq: wrote {len(written)} student notebooks of {course.id} {course.version} to {args.out}")
    return EXIT_OK


def cmd_worker_check(args: argparse.Namespace) -> int:
    from .worker.preflight import require_sandbox

    print(f"sabaq: {require_sandbox(args.timeout)}")
    return EXIT_OK


def _block_command(module: str, name: str, args: argparse.Namespace) -> int:
    """Run the block's own command ``module`` (its ``main``) as ``sabaq <name>``: it reads the block's
    submissions store, so it needs the block's package."""
    import importlib

    try:
        command = importlib.import_module(module).main
    except ImportError as error:
        raise UsageError(f"`sabaq {name}` reads the block's submissions store and needs the block's package "
                         f"(pip install sabaq-xblock) in this environment ({error})") from None
    return int(command(list(args.queue_args), prog=f"sabaq {name}"))


def cmd_queue(args: argparse.Namespace) -> int:
    return _block_command("sabaq_xblock.queue", "queue", args)


def cmd_report(args: argparse.Namespace) -> int:
    return _block_command("sabaq_xblock.cohort_report", "report", args)


def _queue_args(argv: Sequence[str] | None) -> argparse.Namespace | None:
    """``sabaq queue ...`` and ``sabaq report ...``: every later argument is the block's command's
    own (even ``--help``)."""
    given = list(sys.argv[1:] if argv is None else argv)
    delegated = {"queue": cmd_queue, "report": cmd_report}
    if given[:1] and given[0] in delegated:
        return argparse.Namespace(run=delegated[given[0]], queue_args=given[1:])
    return None


def _add_sandbox_options(parser: argparse.ArgumentParser, jobs: int) -> None:
    parser.add_argument("--jobs", "-j", type=int, default=jobs, help="sandboxes run in parallel (default %(default)s)")
    parser.add_argument("--cell-timeout", type=float, default=30.0, help="seconds a cell may run (default 30)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds a notebook may run (default 120)")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    parser.add_argument(
        UNSAFE_FLAG,
        action="store_true",
        help="run code WITHOUT the sandbox (only for trusted code on machines without bubblewrap)",
    )


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="sabaq", description="Validate, release and grade Sabaq notebook courses.")
    root.add_argument("--version", action="version", version=f"sabaq {__version__}")
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = commands.add_parser(
        "validate",
        help="prove assignments sound and lessons runnable",
        description="Check course directories or single notebooks. Each problem is an error (unsound) or a "
        "note; exit 0 when there are no errors (with --strict: no notes either).",
    )
    validate.add_argument(
        "paths", nargs="+", metavar="PATH", help="a course directory, a directory of courses, or one notebook"
    )
    validate.add_argument("--strict", action="store_true", help="fail on notes too (exit 1), not only on errors")
    _add_sandbox_options(validate, 2)
    validate.set_defaults(run=cmd_validate)

    release = commands.add_parser(
        "release",
        help="write the student versions of a course",
        description="Write student versions of assignments and clean lessons.",
    )
    release.add_argument("course", help="the course directory")
    release.add_argument("--out", required=True, help="directory to write into")
    release.set_defaults(run=cmd_release)

    grade = commands.add_parser(
        "grade",
        help="grade submissions; one JSON report per line on stdout",
        description="Grade each submission against the instructor notebook. Prints one "
        "grade report (JSON) per submission, in the order given.",
    )
    grade.add_argument("instructor", help="the instructor (source) notebook")
    grade.add_argument("submissions", nargs="+", metavar="SUBMISSION", help="student notebooks")
    grade.add_argument(
        "--feedback-dir",
        help="write an HTML feedback page per submission here, at its path below the folder the submissions share",
    )
    grade.add_argument(
        "--ignore-pattern",
        default="",
        metavar="REGEX",
        help="drop stderr output matching REGEX before scoring (nbgrader's IgnorePattern.pattern)",
    )
    grade.add_argument("--header", help="a notebook whose cells were put before the assignment when it was released")
    grade.add_argument("--footer", help="a notebook whose cells were put after the assignment when it was released")
    grade.add_argument(
        "--no-cache",
        action="store_true",
        help="prepare the assignment afresh rather than reuse the one prepared by an earlier run from the same "
        "files (kept in $SABAQ_CACHE_DIR, else ~/.cache/sabaq)",
    )
    _add_sandbox_options(grade, 1)
    grade.set_defaults(run=cmd_grade)

    check = commands.add_parser(
        "worker-check",
        help="check that the grading sandbox works here (a real bubblewrap start)",
        description="Start the sandbox's bubblewrap command with a probe that drops to an unprivileged uid "
        "and runs the interpreter. Exit 0 when it works, 4 with the cause when it cannot.",
    )
    check.add_argument("--timeout", type=float, default=30.0, help="seconds the probe may take (default 30)")
    check.set_defaults(run=cmd_worker_check)

    add_sharing_commands(commands)

    for name, run, summary, module, options in (
        ("queue", cmd_queue, "show the grading queue: states, pending, oldest waiting, failures, dead letters, workers",
         "sabaq_xblock.queue", "--json, --block, --no-workers, --timeout"),
        ("report", cmd_report,
         "every assignment's cohort dashboard: states, scores, tests' pass rates, errors, grades as CSV",
         "sabaq_xblock.cohort_report", "--store, --course, --block, --json, --html, --csv"),
    ):
        command = commands.add_parser(
            name, help=summary, add_help=False,
            description=f"Run `python -m {module}` with the deployment's SABAQ_* settings (it needs sabaq-xblock "
            f"installed). Its options ({options}) follow.")
        command.add_argument("queue_args", nargs=argparse.REMAINDER, metavar="...")
        command.set_defaults(run=run)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    skip_format_checkers()
    light_nbgrader()
    args = _queue_args(argv) or parser().parse_args(argv)
    if getattr(args, "jobs", 1) < 1:
        parser().error("--jobs must be at least 1")
    try:
        code: int = args.run(args)
        return code
    except KeyboardInterrupt:
        print("sabaq: interrupted", file=sys.stderr)
        return 130
    except (SabaqError, BundleError, KeyFileError) as error:
        print(f"sabaq: error: {error}", file=sys.stderr)
        return next(code for cls, code in EXIT_CODES if isinstance(error, cls))


if __name__ == "__main__":
    sys.exit(main())


def entry() -> None:
    """The ``sabaq`` command: :func:`main`, then exit without tearing the interpreter down.

    Finalizing a process that has nbgrader, nbconvert and IPython loaded takes about half a
    second and does nothing for a command that has finished its work: every file it wrote
    is closed, and its sandboxes are stopped by ``main``.
    """
    code = main()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)
