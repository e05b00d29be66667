"""nbgrader's own corpus, graded by real nbgrader and by ``sabaq grade``, and the comparison.

Every source/submission pair that nbgrader's ``tests/apps/test_nbgrader_autograde.py`` grades,
the pairs its other application tests feed to ``autograde``, ``validate`` or ``update`` from the
same ``tests/apps/files`` folder, and the documentation example (``user_guide/source/ps1`` with
every ``user_guide/submitted/<student>/ps1`` notebook) are listed in ``SCENARIOS``. Each scenario
is one assignment: nbgrader runs ``generate_assignment`` and ``autograde`` on it in a real course
directory and we read its gradebook; ``sabaq grade`` grades the same submissions against the
source notebook as the lecturer wrote it, in the sandbox.

Not applicable to a grader of one notebook, so left out:

- ``test_missing_student`` with ``--Autograde.create_student=False``, ``test_missing_assignment``:
  errors about the student and assignment database (the pair it grades is kept).
- ``test_student_id_exclude``: a course-directory student filter; its graded pair duplicates
  ``test_grade``.
- ``test_grade_timestamp``, ``test_grade_empty_timestamp``, ``test_late_submission_penalty_none``,
  ``..._zero``, ``..._plugin``: timestamps and late penalties; their pairs duplicate ``test_grade``.
- The ``--force`` and ``--notebook`` re-runs of ``test_force``, ``test_force_f``,
  ``test_filter_notebook``, ``test_force_single_notebook``, ``test_update_newer*`` and the
  ``--no-execute`` re-run of ``test_no_execute``: re-grading and file-copy rules (the first run
  of each is kept).
- ``test_permissions``, ``test_custom_permissions``: file modes (the pair is kept).
- ``test_missing_files`` (student ``bar``) and ``test_grade_missing_notebook`` (``p2``): a
  submission without the notebook has no file to grade.
- ``test_many_students``, ``test_infinite_loop_with_output``: skipped by nbgrader itself
  (PostgreSQL set up by hand; memory).
- ``test_nbgrader_generate_assignment.py::test_no_metadata`` with ``--no-metadata``, and
  ``--source_with_tests``: options of release generation only.
- ``user_guide/source/ps1_autotest``: the documentation has no submissions for it.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal


def _nbgrader_dir() -> Path:
    spec = importlib.util.find_spec("nbgrader")  # finds the package without its slow import
    assert spec is not None and spec.submodule_search_locations, "nbgrader is not installed"
    return Path(next(iter(spec.submodule_search_locations)))


NBGRADER = _nbgrader_dir()
FILES = NBGRADER / "tests" / "apps" / "files"
GUIDE = NBGRADER / "docs" / "source" / "user_guide"
BIN = Path(sys.executable).parent
SCHEMA_WARNING = re.compile(r"(?i)schema|metadata (format|version)|upgrad|nbgrader update")
TOLERANCE = 1e-6


@dataclass(frozen=True)
class Blank:
    """An empty notebook, made as nbgrader's tests make one (``BaseTestApp._empty_notebook``)."""

    kernel: str | None = None


@dataclass(frozen=True)
class Release:
    """The student version nbgrader's ``generate_assignment`` wrote for the scenario."""


RELEASE = Release()
Notebook = Path | Blank
Files = Mapping[str, Path | str]  # relative path -> a corpus file or literal text


@dataclass(frozen=True)
class Submission:
    student: str
    notebook: Notebook | Release
    updated: bool = False  # ``nbgrader update`` runs on it first, as the nbgrader test does
    files: Files = field(default_factory=dict)  # beside the notebook; nbgrader sees them, sabaq grades the notebook
    asserted: float | Literal["graded", "refused"] | None = None  # what nbgrader's own test asserts of it
    differs: str = ""  # why sabaq refuses, on purpose, what nbgrader grades (it must then report an error)


@dataclass(frozen=True)
class Scenario:
    """One assignment; in nbgrader's course its id is ``name``."""

    name: str
    origin: str
    source: Notebook
    students: tuple[Submission, ...]
    notebook: str = "p1"
    autotests: Literal["course", "assignment"] | None = None  # where ``files/autotests.yml`` goes
    files: Files = field(default_factory=dict)  # beside the source notebook
    config: tuple[str, ...] = ()  # lines of nbgrader_config.py
    generate_args: tuple[str, ...] = ()
    autograde_args: tuple[str, ...] = ()
    sabaq_args: tuple[str, ...] = ()
    # nbgrader stops its whole run at this scenario's schema error: in generate_assignment, so the
    # scenario gets a course of its own; in autograde, so it is autograded in a run of its own.
    stops: Literal["generate", "autograde"] | None = None


def f(name: str) -> Path:
    return FILES / name


def sub(student: str, notebook: Notebook | Release, **options: Any) -> Submission:
    return Submission(student, notebook, **options)


UNCHANGED, CHANGED = f("submitted-unchanged.ipynb"), f("submitted-changed.ipynb")
TEST = f("test.ipynb")
ANSWER_STUB = "c.ClearSolutions.code_stub = {'python': '## Answer', 'blah': '## Answer'}"
YOUR_CODE_STUB = 'c.ClearSolutions.code_stub = dict(python="# YOUR CODE HERE")'
OVERWRITE = 'c.Autograde.exclude_overwriting = {"overwrite-files": ["helper.py"], "overwrite-files-subdirs": ["subdir/helper.py"]}'  # noqa: E501
CLEAR_METADATA = (
    "--ClearMetadataPreprocessor.enabled=True",
    "--ClearMetadataPreprocessor.clear_notebook_metadata=False",
    "--ClearMetadataPreprocessor.preserve_cell_metadata_mask=[('nbgrader')]",
)


def _guide(notebook: str) -> Scenario:
    students = sorted(p.parent.parent.name for p in GUIDE.glob(f"submitted/*/ps1/{notebook}.ipynb"))
    return Scenario(
        f"guide-{notebook}",
        "nbgrader docs/source/user_guide: source/ps1 graded with every submitted/*/ps1",
        GUIDE / "source" / "ps1" / f"{notebook}.ipynb",
        tuple(sub(s, GUIDE / "submitted" / s / "ps1" / f"{notebook}.ipynb") for s in students),
        notebook=notebook,
        files={"jupyter.png": GUIDE / "source" / "ps1" / "jupyter.png"},
    )


APPS = "nbgrader tests/apps/"
AUTOGRADE = APPS + "test_nbgrader_autograde.py::TestNbGraderAutograde::"
GENERATE = APPS + "test_nbgrader_generate_assignment.py::TestNbGraderGenerateAssignment::"
VALIDATE = APPS + "test_nbgrader_validate.py::TestNbGraderValidate::"
UPDATE = APPS + "test_nbgrader_update.py::TestNbGraderUpdate::"
SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "grade",
        AUTOGRADE + "test_grade",
        UNCHANGED,
        (sub("foo", UNCHANGED, asserted=1), sub("bar", CHANGED, asserted=2)),
    ),
    Scenario("missing-student", AUTOGRADE + "test_missing_student", CHANGED, (sub("baz", CHANGED),)),
    Scenario(
        "autotest-simple",
        AUTOGRADE + "test_grade_autotest",
        f("autotest-simple.ipynb"),
        (
            sub("foo", f("autotest-simple-unchanged.ipynb"), asserted=0),
            sub("bar", f("autotest-simple-changed.ipynb"), asserted=1),
        ),
        autotests="course",
    ),
    Scenario(
        "autotest-hashed",
        AUTOGRADE + "test_grade_hashed_autotest",
        f("autotest-hashed.ipynb"),
        (
            sub("foo", f("autotest-hashed-unchanged.ipynb"), asserted=0),
            sub("bar", f("autotest-hashed-changed.ipynb"), asserted=1),
        ),
        autotests="course",
    ),
    Scenario(
        "autotest-multi",
        AUTOGRADE + "test_grade_complex_autotest",
        f("autotest-multi.ipynb"),
        (
            sub("foo", f("autotest-multi-unchanged.ipynb"), asserted=0),
            sub("bar", f("autotest-multi-changed.ipynb"), asserted=3),
        ),
        autotests="course",
    ),
    Scenario(
        "showtraceback-exploit",
        AUTOGRADE + "test_showtraceback_exploit",
        UNCHANGED,
        (
            sub("foo", UNCHANGED, asserted=1),
            sub("bar", CHANGED, asserted=2),
            sub("spam", f("submitted-cheat-attempt.ipynb"), asserted=1),
            sub("eggs", f("submitted-cheat-attempt-alternative.ipynb"), asserted=1),
        ),
        config=("c.Execute.timeout = None",),
    ),
    Scenario(
        "force",
        AUTOGRADE + "test_force, test_force_f, test_filter_notebook (first run)",
        UNCHANGED,
        (sub("foo", UNCHANGED, files={"foo.txt": "foo", "data/bar.txt": "bar", "blah.pyc": "asdf"}),),
        files={"foo.txt": "foo", "data/bar.txt": "bar"},
    ),
    Scenario(
        "overwrite-files",
        AUTOGRADE + "test_grade_overwrite_files",
        UNCHANGED,
        (sub("foo", UNCHANGED, files={"data.csv": "some,other,data\n", "helper.py": "print('this is different!')\n"}),),
        files={"data.csv": "some,data\n", "helper.py": "print('hello!')\n"},
        config=(OVERWRITE,),
    ),
    Scenario(
        "overwrite-files-subdirs",
        AUTOGRADE + "test_grade_overwrite_files_subdirs",
        UNCHANGED,
        (
            sub(
                "foo",
                UNCHANGED,
                files={"subdir/data.csv": "some,other,data\n", "subdir/helper.py": "print('this is different!')\n"},
            ),
        ),
        files={"subdir/data.csv": "some,data\n", "subdir/helper.py": "print('hello!')\n"},
        config=(OVERWRITE,),
    ),
    Scenario(
        "side-effects", AUTOGRADE + "test_side_effects", f("side-effects.ipynb"), (sub("foo", f("side-effects.ipynb")),)
    ),
    Scenario(
        "skip-extra-notebooks",
        AUTOGRADE + "test_skip_extra_notebooks",
        UNCHANGED,
        (sub("foo", CHANGED, files={"p1 copy.ipynb": UNCHANGED}),),
    ),
    Scenario(
        "empty-notebook",
        AUTOGRADE + "test_permissions, test_custom_permissions",
        Blank(),
        (sub("foo", Blank(), asserted="graded"),),
        notebook="foo",
        files={"foo.txt": "foo"},
    ),
    Scenario(
        "missing-source-kernelspec",
        AUTOGRADE + "test_missing_source_kernelspec",
        Blank(),
        (sub("foo", Blank("python"), asserted="graded"), sub("bar", Blank("blarg"), asserted="refused")),
        config=(ANSWER_STUB,),
    ),
    Scenario(
        "incorrect-source-kernelspec",
        AUTOGRADE + "test_incorrect_source_kernelspec",
        Blank("blah"),
        (sub("foo", Blank("python"), asserted="refused"),),
        config=(ANSWER_STUB,),
    ),
    Scenario(
        "incorrect-submitted-kernelspec",
        AUTOGRADE + "test_incorrect_submitted_kernelspec",
        Blank("python"),
        (sub("foo", Blank("blah"), asserted="graded"),),
    ),
    Scenario(
        "handle-failure",
        AUTOGRADE + "test_handle_failure, test_handle_failure_single_notebook (p2; p1 is blank for blank)",
        Blank(),
        (sub("bar", TEST, asserted="refused"), sub("foo", Blank(), asserted="graded")),
        notebook="p2",
    ),
    Scenario(
        "update-newer",
        AUTOGRADE + "test_update_newer, test_update_newer_single_notebook (foo-blank: the blank resubmission)",
        TEST,
        (
            sub("foo", TEST),
            replace(
                sub("foo-blank", Blank()),
                differs="an empty notebook: nbgrader scores it 0 and leaves every cell to a tutor although nothing "
                "ran; sabaq reports wrong_assignment so the learner is told to submit the assignment's notebook",
            ),
        ),
    ),
    Scenario(
        "clear-metadata",
        AUTOGRADE + "test_force_single_notebook (first run)",
        TEST,
        (sub("foo", TEST),),
        autograde_args=CLEAR_METADATA,
    ),
    Scenario(
        "hidden-tests",
        AUTOGRADE + "test_hidden_tests_single_notebook",
        f("test-hidden-tests.ipynb"),
        (sub("foo", RELEASE, asserted=1.5),),
        config=(YOUR_CODE_STUB,),
    ),
    Scenario(
        "autotest-hidden",
        AUTOGRADE + "test_hidden_tests_autotest",
        f("autotest-hidden.ipynb"),
        (
            sub("foo", f("autotest-hidden-unchanged.ipynb"), asserted=0),
            sub("bar", f("autotest-hidden-changed-wrong.ipynb"), asserted=0),
            sub("baz", f("autotest-hidden-changed-right.ipynb"), asserted=1),
        ),
        autotests="course",
        config=(YOUR_CODE_STUB,),
    ),
    Scenario("no-execute", AUTOGRADE + "test_no_execute (first run)", TEST, (sub("foo", f("test-with-output.ipynb")),)),
    Scenario(
        "infinite-loop",
        AUTOGRADE + "test_infinite_loop",
        f("infinite-loop.ipynb"),
        (sub("foo", f("infinite-loop.ipynb"), asserted="graded"),),
        config=("c.Execute.timeout = 1",),
        sabaq_args=("--cell-timeout", "1"),
    ),
    Scenario(
        "missing-files", AUTOGRADE + "test_missing_files (foo)", Blank(), (sub("foo", Blank(), asserted="graded"),)
    ),
    Scenario(
        "grade-missing-notebook", AUTOGRADE + "test_grade_missing_notebook (p1)", UNCHANGED, (sub("foo", CHANGED),)
    ),
    Scenario(
        "validating-envvar",
        AUTOGRADE + "test_grade_with_validating_envvar",
        f("validating-environment-variable.ipynb"),
        (sub("foo", f("validating-environment-variable.ipynb"), asserted=0),),
    ),
    Scenario(
        "timeout-default",
        AUTOGRADE + "test_autograde_timeout (foo, default timeout)",
        f("timeout.ipynb"),
        (sub("foo", f("timeout.ipynb"), asserted=1),),
    ),
    Scenario(
        "timeout-2s",
        AUTOGRADE + "test_autograde_timeout (bar, --Execute.timeout=2)",
        f("timeout.ipynb"),
        (sub("bar", f("timeout.ipynb"), asserted=0),),
        autograde_args=("--Execute.timeout=2",),
        sabaq_args=("--cell-timeout", "2"),
    ),
    # The same corpus in nbgrader's other application tests.
    Scenario(
        "autotest-assignment-yml",
        GENERATE + "test_autotests_simple (autotests.yml in source/ps1)",
        f("autotest-simple.ipynb"),
        (sub("foo", f("autotest-simple-unchanged.ipynb")), sub("bar", f("autotest-simple-changed.ipynb"))),
        autotests="assignment",
    ),
    Scenario(
        "autotest-needs-yaml",
        GENERATE + "test_autotests_needs_yaml",
        f("autotest-simple.ipynb"),
        (
            sub("foo", f("autotest-simple-unchanged.ipynb"), asserted="refused"),
            sub("bar", f("autotest-simple-changed.ipynb"), asserted="refused"),
        ),
    ),
    Scenario(
        "no-metadata",
        GENERATE + "test_no_metadata",
        f("test-no-metadata.ipynb"),
        (sub("foo", f("test-no-metadata.ipynb"), asserted="refused"),),
    ),
    Scenario(
        "no-metadata-autotest",
        APPS + "files/test-no-metadata-autotest.ipynb (used by no test: test_no_metadata's AUTOTEST twin)",
        f("test-no-metadata-autotest.ipynb"),
        (sub("foo", f("test-no-metadata-autotest.ipynb")),),
        autotests="course",
    ),
    Scenario(
        "open-relative-file",
        VALIDATE + "test_validate_subdir",
        f("open_relative_file.ipynb"),
        (sub("foo", f("open_relative_file.ipynb")),),
        files={"data.txt": f("data.txt")},
    ),
    Scenario(
        "validation-zero-points",
        VALIDATE + "test_validate_zero_points",
        f("validation-zero-points.ipynb"),
        (sub("foo", f("validation-zero-points.ipynb")),),
    ),
    Scenario(
        "changed-cells",
        VALIDATE + "test_grade_cell_changed, test_locked_cell_changed",
        UNCHANGED,
        (sub("foo", f("submitted-grade-cell-changed.ipynb")), sub("bar", f("submitted-locked-cell-changed.ipynb"))),
    ),
    Scenario(
        "update-autograde-v0",
        UPDATE + "test_update_autograde (before the update)",
        TEST,
        (sub("foo", f("test-v0.ipynb"), asserted="refused"),),
        stops="autograde",
    ),
    Scenario(
        "update-autograde-v0-updated",
        UPDATE + "test_update_autograde (after nbgrader update)",
        TEST,
        (sub("foo", f("test-v0.ipynb"), updated=True, asserted="graded"),),
    ),
    Scenario(
        "update-old-assign",
        UPDATE + "test_update_autograde_old_assign (before the update)",
        f("test-v0.ipynb"),
        (sub("foo", RELEASE, asserted="refused"),),
        generate_args=("--CheckCellMetadata.enabled=False",),
        stops="autograde",
    ),
    Scenario(
        "update-old-assign-updated",
        UPDATE + "test_update_autograde_old_assign (after nbgrader update)",
        f("test-v0.ipynb"),
        (sub("foo", RELEASE, updated=True, asserted="graded"),),
        generate_args=("--CheckCellMetadata.enabled=False",),
    ),
    Scenario(
        "update-assign-v0",
        UPDATE + "test_update_assign (the v0 source, submitted as is)",
        f("test-v0.ipynb"),
        (sub("foo", f("test-v0.ipynb"), asserted="refused"),),
        stops="generate",
    ),
    Scenario(
        "schema-v1",
        UPDATE + "test_single_notebook_v1",
        TEST,
        (sub("foo", f("test-v1.ipynb")),),
        stops="autograde",
    ),
    Scenario(
        "schema-v2",
        UPDATE + "test_single_notebook_v2",
        TEST,
        (sub("foo", f("test-v2.ipynb")),),
        stops="autograde",
    ),
    Scenario(
        "schema-v0-invalid",
        UPDATE + "test_validate",
        TEST,
        (sub("foo", f("test-v0-invalid.ipynb")),),
        stops="autograde",
    ),
    Scenario(
        "schema-too-new",
        UPDATE + "test_validate_too_new",
        f("too-new.ipynb"),
        (sub("foo", f("too-new.ipynb")),),
        stops="generate",
    ),
    _guide("problem1"),
    _guide("problem2"),
)
CASES: tuple[tuple[str, str], ...] = tuple((s.name, x.student) for s in SCENARIOS for x in s.students)


# Results -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NbgraderCell:
    grade_id: str
    kind: Literal["test", "answer", "task"]
    auto_score: float | None
    manual_score: float | None
    max_score: float
    needs_manual_grade: bool


@dataclass(frozen=True)
class NbgraderResult:
    refused: bool
    message: str = ""  # nbgrader's log for this submission when it refused
    stopped: bool = False  # refused without a word: another scenario stopped its course's run
    score: float | None = None
    max_score: float | None = None
    needs_manual_grade: bool | None = None
    cells: tuple[NbgraderCell, ...] = ()


@dataclass(frozen=True)
class Outcome:
    scenario: Scenario
    student: str
    nbgrader: NbgraderResult
    sabaq: dict[str, Any]  # the grade report, or {"status": "refused"|"crashed", "message": ...}
    order: tuple[str, ...]  # grade ids in the source notebook's order


@dataclass
class Corpus:
    outcomes: dict[tuple[str, str], Outcome]
    seconds: float

    def __getitem__(self, case: tuple[str, str]) -> Outcome:
        return self.outcomes[case]


class SandboxFailure(RuntimeError):
    """``sabaq grade`` could not set up its sandbox (exit 4): nothing may be compared."""


# Running both graders ------------------------------------------------------------------------


def _write(path: Path, content: Path | str | Blank) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, Blank):
        import nbformat

        notebook = nbformat.v4.new_notebook()
        if content.kernel is not None:
            notebook.metadata.kernelspec = {
                "display_name": "kernel",
                "language": content.kernel,
                "name": content.kernel,
            }
        nbformat.write(notebook, path)
    elif isinstance(content, Path):
        shutil.copy(content, path)
    else:
        path.write_text(content, "utf-8")


def _write_files(directory: Path, files: Files) -> None:
    for name, content in files.items():
        _write(directory / name, content)


# How long nbgrader waits for a kernel to start (nbclient's 60 s by default). Not a grading setting:
# with several courses at once on a busy machine a kernel once took longer, and nbgrader then
# refused a submission that its own test grades.
KERNEL_STARTUP = "c.Execute.startup_timeout = 600"


def _lay_out(root: Path, scenario: Scenario, assignment: str) -> None:
    """The lecturer's side of a course: config, autotests.yml and source/<assignment>/."""
    config = ["c = get_config()", KERNEL_STARTUP, *scenario.config, ""]
    (root / "nbgrader_config.py").write_text("\n".join(config), "utf-8")
    source = root / "source" / assignment
    _write(source / f"{scenario.notebook}.ipynb", scenario.source)
    _write_files(source, scenario.files)
    if scenario.autotests:
        _write((root if scenario.autotests == "course" else source) / "autotests.yml", f("autotests.yml"))


def _environment(workdir: Path) -> dict[str, str]:
    config = workdir / "jupyter-config"  # no personal Jupyter or nbgrader configuration leaks in
    config.mkdir(exist_ok=True)
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "JUPYTER_CONFIG_DIR": str(config)}


def _run(command: Sequence[str], cwd: Path, env: Mapping[str, str], log: Path) -> int:
    done = subprocess.run(
        list(command), cwd=cwd, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=900
    )
    with log.open("a", encoding="utf-8") as out:
        out.write(f"$ {' '.join(command)}\n{done.stdout}\nexit {done.returncode}\n")
    return done.returncode


def _attribute(log: str, course: Path) -> dict[tuple[str, str], list[str]]:
    """nbgrader's error and warning messages by (assignment, student); generate_assignment's under student ''.

    A message belongs to the submission (or source) whose path nbgrader logged last; the lines
    after an ERROR or WARNING header (a traceback, a long message) belong to that message.
    """
    root = re.escape(str(course))
    places = (
        (re.compile(root + r"/(?:submitted|autograded)/(?P<student>[^/\s']+)/(?P<assignment>[^/\s']+)"), True),
        (re.compile(root + r"/source/(?:\./)?(?P<assignment>[^/\s']+)"), False),
    )
    summary = re.compile(r"error processing assignment '(?P<assignment>[^']+)' for student '(?P<student>[^']+)'")
    found: dict[tuple[str, str], list[str]] = defaultdict(list)
    current: tuple[str, str] | None = None
    in_message = False
    for line in log.splitlines():
        if not line.startswith("["):  # a command, its exit, a continuation line or a Python warning
            if line.startswith(("$ ", "exit ")):
                current, in_message = None, False
            elif current and in_message:
                found[current].append(line)
            continue
        in_message = "| ERROR]" in line or "| WARNING]" in line
        if match := summary.search(line):
            student = "" if match["student"] == "." else match["student"]
            found[(match["assignment"], student)].append(line)
            in_message = False
            continue
        for pattern, has_student in places:
            if match := pattern.search(line):
                current = (match["assignment"], match["student"] if has_student else "")
                break
        if current and in_message:
            found[current].append(line)
    return found


EXCEPTION_LINE = re.compile(r"^\s*[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt|Kernel)\b")


def _condensed(lines: Sequence[str]) -> list[str]:
    """nbgrader's ERROR messages; a traceback becomes its exception line."""
    kept: list[str] = []
    block: list[str] = []
    header = ""

    def close() -> None:
        body = [line.strip() for line in block if line.strip()]
        if header.endswith("Traceback (most recent call last):") or "Traceback (most recent call last):" in body:
            exceptions = [line for line in body if EXCEPTION_LINE.match(line)]
            kept.extend("    " + line for line in (exceptions or body)[-1:])
        else:
            kept.extend("    " + line for line in body[:4])

    for line in lines:
        if line.startswith("["):
            close()
            header, block = line, []
            if "| ERROR]" in line:
                kept.append(line)
        elif "| ERROR]" in header:
            block.append(line)
    close()
    return kept


def _nbgrader_result(
    gradebook: Any, scenario: Scenario, student: str, course: Path, log: str, failed: bool
) -> NbgraderResult:
    """What nbgrader made of one submission: its gradebook entry, or its refusal and why."""
    from nbgrader.api import MissingEntry, TaskCell

    lines = _attribute(log, course)
    said = [*lines.get((scenario.name, ""), []), *lines.get((scenario.name, student), [])]
    errors = _condensed(said)
    message = "\n".join(errors or said)[-3000:] or log[-3000:]
    graded = (course / "autograded" / student / scenario.name / f"{scenario.notebook}.ipynb").is_file()
    try:
        notebook = gradebook.find_submission_notebook(scenario.notebook, scenario.name, student)
    except MissingEntry:
        notebook = None
    refused_in_log = any("for student" in line and f"'{student}'" in line for line in said)
    if notebook is None or refused_in_log or (failed and not graded):
        return NbgraderResult(refused=True, message=message, stopped=not errors and scenario.stops is None)
    answers = {cell.name for cell in notebook.notebook.solution_cells}
    cells = []
    for grade in notebook.grades:
        kind: Literal["test", "answer", "task"]
        if isinstance(grade.cell, TaskCell):
            kind = "task"
        elif grade.name in answers or grade.cell_type != "code":
            kind = "answer"
        else:
            kind = "test"
        cells.append(
            NbgraderCell(
                grade.name,
                kind,
                grade.auto_score,
                grade.manual_score,
                float(grade.max_score),
                bool(grade.needs_manual_grade),
            )
        )
    return NbgraderResult(
        refused=False,
        score=float(notebook.score),
        max_score=float(notebook.max_score),
        needs_manual_grade=bool(notebook.needs_manual_grade),
        cells=tuple(cells),
    )


def _sabaq(scenario: Scenario, directory: Path, env: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """``sabaq grade`` with its sandbox, cwd the course; the report of each student."""
    instructor = f"source/ps1/{scenario.notebook}.ipynb"
    paths = {x.student: f"submitted/{x.student}/ps1/{scenario.notebook}.ipynb" for x in scenario.students}
    command = [str(BIN / "sabaq"), "grade", instructor, *paths.values(), "--jobs", "1", "--quiet", *scenario.sabaq_args]
    done = subprocess.run(command, cwd=directory, env=dict(env), capture_output=True, text=True, timeout=900)
    (directory / "sabaq.log").write_text(f"$ {' '.join(command)}\n{done.stdout}{done.stderr}exit {done.returncode}\n")
    if done.returncode == 4:
        raise SandboxFailure(f"sabaq grade could not set up its sandbox (exit 4):\n{done.stderr.strip()}")
    reports = {}
    for line in done.stdout.splitlines():
        if line.strip():
            report = json.loads(line)
            reports[report.get("submission", "")] = report
    outcome: dict[str, dict[str, Any]] = {}
    for student, path in paths.items():
        if path in reports:
            outcome[student] = reports[path]
        else:
            status = "refused" if done.returncode == 3 else "crashed"  # 3: the command refused the course or notebook
            outcome[student] = {"status": status, "message": f"exit {done.returncode}: {done.stderr.strip()[-3000:]}"}
    return outcome


def _grade_ids(notebook: Path) -> tuple[str, ...]:
    if not notebook.is_file():
        return ()
    cells = json.loads(notebook.read_text("utf-8")).get("cells", [])
    ids = [cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") for cell in cells]
    return tuple(i for i in ids if isinstance(i, str))


def _course(
    key: str, scenarios: Sequence[Scenario], workdir: Path, sabaq_pool: ThreadPoolExecutor
) -> list[tuple[Scenario, Future[dict[str, dict[str, Any]]], dict[str, NbgraderResult]]]:
    """One nbgrader course holding ``scenarios`` as assignments; sabaq starts as soon as its input exists.

    One ``generate_assignment`` for all; one ``autograde`` for the scenarios with nbgrader's default
    options, then one more per scenario with options of its own or a run-stopping submission, whose
    submissions wait in ``staged/`` until their run so that no other run sees them.
    """
    from nbgrader.api import Gradebook

    course = workdir / "nbgrader" / key
    course.mkdir(parents=True)
    env = _environment(workdir)
    db = f"sqlite:///{course / 'gradebook.db'}"
    log = course / "nbgrader.log"
    nbgrader = str(BIN / "nbgrader")
    together = [s for s in scenarios if not s.autograde_args and s.stops is None]
    later = [s for s in scenarios if s not in together]

    def student_file(root: Path, scenario: Scenario, x: Submission, assignment: str = "") -> Path:
        return root / x.student / (assignment or scenario.name) / f"{scenario.notebook}.ipynb"

    def inbox(scenario: Scenario) -> Path:
        return course / ("submitted" if scenario in together else "staged")

    sabaq: dict[str, Future[dict[str, dict[str, Any]]]] = {}

    def start_sabaq(scenario: Scenario) -> None:
        mine = workdir / "sabaq" / scenario.name
        mine.mkdir(parents=True)
        _lay_out(mine, scenario, "ps1")
        for x in scenario.students:
            _write(student_file(mine / "submitted", scenario, x, "ps1"), student_file(inbox(scenario), scenario, x))
        sabaq[scenario.name] = sabaq_pool.submit(_sabaq, scenario, mine, env)

    def prepared_by_nbgrader(scenario: Scenario) -> bool:
        return any(x.notebook is RELEASE or x.updated for x in scenario.students)

    for scenario in scenarios:
        _lay_out(course, scenario, scenario.name)  # grouped scenarios share config and autotests.yml
        for x in scenario.students:
            _write_files(student_file(inbox(scenario), scenario, x).parent, x.files)
            if not isinstance(x.notebook, Release):
                _write(student_file(inbox(scenario), scenario, x), x.notebook)
        if not prepared_by_nbgrader(scenario):
            start_sabaq(scenario)
    generated = _run([nbgrader, "generate_assignment", "*", "--db", db, *scenarios[0].generate_args], course, env, log)
    for scenario in filter(prepared_by_nbgrader, scenarios):
        for x in scenario.students:
            target = student_file(inbox(scenario), scenario, x)
            if x.notebook is RELEASE:
                release = course / "release" / scenario.name / f"{scenario.notebook}.ipynb"
                assert release.is_file(), f"{scenario.name}: nbgrader wrote no release to submit; see {log}"
                _write(target, release)
            if x.updated:
                assert _run([nbgrader, "update", str(target)], course, env, log) == 0, f"see {log}"
        start_sabaq(scenario)
    failed: dict[str, bool] = {}
    if together:
        code = _run([nbgrader, "autograde", "*", "--db", db], course, env, log)
        failed.update((s.name, code != 0 or generated != 0) for s in together)
    for scenario in later:
        for x in scenario.students:
            shutil.copytree(
                student_file(inbox(scenario), scenario, x).parent,
                student_file(course / "submitted", scenario, x).parent,
            )
        code = _run([nbgrader, "autograde", scenario.name, "--db", db, *scenario.autograde_args], course, env, log)
        failed[scenario.name] = code != 0 or generated != 0
    text = log.read_text("utf-8")
    with Gradebook(db) as gradebook:
        return [
            (
                s,
                sabaq[s.name],
                {
                    x.student: _nbgrader_result(gradebook, s, x.student, course, text, failed[s.name])
                    for x in s.students
                },
            )
            for s in scenarios
        ]


def courses(scenarios: Iterable[Scenario], *, most: int = 20) -> dict[str, list[Scenario]]:
    """Scenarios that share nbgrader's course settings (config, autotests.yml, generate options) share a course.

    A larger group is dealt into courses of at most about ``most`` submissions, so that no single
    course is the slow end of the run.
    """
    groups: dict[tuple[Any, ...], list[Scenario]] = defaultdict(list)
    for s in scenarios:
        key = (s.name,) if s.stops == "generate" else (s.autotests == "course", s.config, s.generate_args)
        groups[key].append(s)
    chunks: list[list[Scenario]] = []
    for group in groups.values():
        dealt: list[list[Scenario]] = [[] for _ in range(math.ceil(sum(len(s.students) for s in group) / most))]
        for s in sorted(group, key=lambda s: -len(s.students)):
            min(dealt, key=lambda chunk: sum(len(x.students) for x in chunk)).append(s)
        chunks += dealt
    chunks.sort(key=lambda chunk: -sum(len(s.students) for s in chunk))  # longest first
    return {(chunk[0].name if len(chunk) == 1 else f"course-{i}"): chunk for i, chunk in enumerate(chunks)}


def run_corpus(workdir: Path, scenarios: Sequence[Scenario] = SCENARIOS, *, courses_at_once: int = 4) -> Corpus:
    """Grade every scenario with nbgrader (``courses_at_once`` courses in parallel) and with sabaq (2 at once).

    nbgrader spends much of a course waiting for kernels, so more courses than cores keep both busy.
    """
    started = time.perf_counter()
    import nbgrader.api  # noqa: F401  (imported once, before the threads need it)

    outcomes: dict[tuple[str, str], Outcome] = {}
    with ThreadPoolExecutor(courses_at_once) as nbgrader_pool, ThreadPoolExecutor(2) as sabaq_pool:
        running = [
            nbgrader_pool.submit(_course, key, group, workdir, sabaq_pool) for key, group in courses(scenarios).items()
        ]
        try:
            for future in running:
                for scenario, reports, results in future.result():
                    ours = reports.result()
                    order = _grade_ids(
                        workdir / "sabaq" / scenario.name / "source" / "ps1" / f"{scenario.notebook}.ipynb"
                    )
                    for x in scenario.students:
                        outcomes[(scenario.name, x.student)] = Outcome(
                            scenario, x.student, results[x.student], ours[x.student], order
                        )
        except BaseException:
            nbgrader_pool.shutdown(cancel_futures=True)
            sabaq_pool.shutdown(cancel_futures=True)
            raise
    return Corpus(outcomes, time.perf_counter() - started)


# Comparing -----------------------------------------------------------------------------------


def _same(a: float | None, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return isinstance(b, int | float) and math.isclose(float(a), float(b), abs_tol=TOLERANCE)


def _show(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass(frozen=True)
class Row:
    grade_id: str
    nbgrader: NbgraderCell | None
    where: str  # "tests", "manual", "" (absent) or "tests+manual"
    ours: Mapping[str, Any] | None
    problems: tuple[str, ...]


def rows(outcome: Outcome) -> list[Row]:
    """The cell-by-cell comparison of a submission nbgrader graded."""
    report = outcome.sabaq
    entries: dict[str, list[tuple[str, Mapping[str, Any]]]] = defaultdict(list)
    for where in ("tests", "manual"):
        for entry in report.get(where) or []:
            entries[str(entry.get("grade_id"))].append((where, entry))
    theirs = {cell.grade_id: cell for cell in outcome.nbgrader.cells}
    known = [*outcome.order, *sorted(theirs), *entries]
    result = []
    for grade_id in dict.fromkeys(g for g in known if g in theirs or g in entries):
        cell, found = theirs.get(grade_id), entries.get(grade_id, [])
        where = "+".join(w for w, _ in found)
        ours = found[0][1] if found else None
        problems: list[str] = []
        if len(found) > 1:
            problems.append(f"sabaq reports {grade_id} {len(found)} times")
        if cell is None:
            problems.append(f"sabaq reports {grade_id}, which nbgrader does not grade")
        elif ours is None:
            problems.append(f"sabaq does not report {grade_id} ({cell.kind})")
        else:
            expected = "tests" if cell.kind == "test" else "manual"
            if found[0][0] != expected:
                problems.append(f"{grade_id}: a {cell.kind} cell in sabaq's {found[0][0]!r}, not {expected!r}")
            if not _same(cell.max_score, ours.get("max_points")):
                problems.append(
                    f"{grade_id}: max_points {_show(ours.get('max_points'))} != nbgrader {_show(cell.max_score)}"
                )
            if not _same(cell.auto_score, ours.get("points")):
                problems.append(
                    f"{grade_id}: points {_show(ours.get('points'))} != nbgrader auto_score {_show(cell.auto_score)}"
                )
            if found[0][0] == "manual":
                if ours.get("needs_manual_grade") is not cell.needs_manual_grade:
                    problems.append(
                        f"{grade_id}: needs_manual_grade {_show(ours.get('needs_manual_grade'))} "
                        f"!= nbgrader {_show(cell.needs_manual_grade)}"
                    )
                if cell.kind in ("answer", "task") and ours.get("kind") != cell.kind:
                    problems.append(f"{grade_id}: kind {ours.get('kind')!r} != nbgrader {cell.kind!r}")
        result.append(Row(grade_id, cell, where, ours, tuple(problems)))
    return result


def handled_refusal(outcome: Outcome) -> bool:
    report = outcome.sabaq
    if report.get("status") in ("error", "refused"):
        return True
    return report.get("status") == "graded" and any(SCHEMA_WARNING.search(w) for w in report.get("warnings") or [])


def disagreements(outcome: Outcome) -> list[str]:
    """Every way sabaq's result differs from nbgrader's for one submission (empty: they agree)."""
    theirs, report = outcome.nbgrader, outcome.sabaq
    if theirs.stopped:
        return [
            "harness: nbgrader stopped before grading this submission; mark the scenario that stopped it (stops=...)"
        ]
    if theirs.refused:
        if handled_refusal(outcome):
            return []
        return [f"nbgrader refused it, but sabaq {_status(report)} without a metadata schema warning"]
    deliberate = next((x.differs for x in outcome.scenario.students if x.student == outcome.student), "")
    if deliberate:
        return [] if report.get("status") == "error" else [f"sabaq should refuse it on purpose ({deliberate})"]
    if report.get("status") != "graded":
        return [f"nbgrader graded it {_show(theirs.score)}/{_show(theirs.max_score)}, but sabaq {_status(report)}"]
    problems = []
    if not _same(theirs.score, report.get("score")):
        problems.append(f"score {_show(report.get('score'))} != nbgrader {_show(theirs.score)}")
    if not _same(theirs.max_score, report.get("max_score")):
        problems.append(f"max_score {_show(report.get('max_score'))} != nbgrader {_show(theirs.max_score)}")
    if report.get("needs_manual_grade") is not theirs.needs_manual_grade:
        ours = _show(report.get("needs_manual_grade"))
        problems.append(f"needs_manual_grade {ours} != nbgrader {_show(theirs.needs_manual_grade)}")
    return problems + [p for row in rows(outcome) for p in row.problems]


def _status(report: Mapping[str, Any]) -> str:
    status = report.get("status")
    if status == "graded":
        return f"graded it {_show(report.get('score'))}/{_show(report.get('max_score'))}"
    if status == "error":
        error = report.get("error") or {}
        return f"reported an error ({error.get('kind')}: {str(error.get('message', ''))[:300]})"
    return f"{status} ({str(report.get('message', ''))[:600]})"


def explain(outcome: Outcome) -> str:
    """A readable diff: both totals, the cell table, then every disagreement."""
    theirs, report = outcome.nbgrader, outcome.sabaq
    scenario = outcome.scenario
    lines = [f"{scenario.name} / {outcome.student}  (from {scenario.origin})"]
    if theirs.refused:
        lines.append("nbgrader refused it:\n    " + theirs.message.replace("\n", "\n    ")[-1500:])
    else:
        total = f"{_show(theirs.score)}/{_show(theirs.max_score)}"
        lines.append(f"nbgrader: graded it {total}, needs manual grade {_show(theirs.needs_manual_grade)}")
    lines.append(f"sabaq:    {_status(report)}, needs manual grade {_show(report.get('needs_manual_grade'))}")
    if report.get("warnings"):
        lines.append("sabaq warnings: " + "; ".join(report["warnings"]))
    if not theirs.refused and report.get("status") == "graded":
        header = ("grade_id", "kind", "nbgrader auto/manual/max/needs", "sabaq list", "points/max/needs", "")
        table = [header]
        for row in rows(outcome):
            cell, ours = row.nbgrader, row.ours or {}
            table.append(
                (
                    row.grade_id,
                    cell.kind if cell else "-",
                    "/".join(map(_show, (cell.auto_score, cell.manual_score, cell.max_score, cell.needs_manual_grade)))
                    if cell
                    else "-",
                    row.where or "-",
                    "/".join(map(_show, (ours.get("points"), ours.get("max_points"), ours.get("needs_manual_grade"))))
                    if row.ours
                    else "-",
                    "DIFF" if row.problems else "ok",
                )
            )
        widths = [max(len(r[i]) for r in table) for i in range(len(header))]
        lines += ["  " + "  ".join(value.ljust(width) for value, width in zip(r, widths, strict=True)) for r in table]
    problems = disagreements(outcome)
    lines += [f"  - {p}" for p in problems] if problems else ["  agree"]
    return "\n".join(lines)


def unreproduced(corpus: Corpus) -> list[str]:
    """Where nbgrader, as run here, does not do what its own tests assert (the harness would be wrong)."""
    wrong = []
    for (name, student), outcome in corpus.outcomes.items():
        x = next(x for x in outcome.scenario.students if x.student == student)
        theirs = outcome.nbgrader
        if x.asserted is None:
            continue
        if isinstance(x.asserted, str):
            if (x.asserted == "refused") == theirs.refused:
                continue
        elif not theirs.refused and _same(x.asserted, theirs.score):
            continue
        got = "refused" if theirs.refused else f"score {_show(theirs.score)}"
        wrong.append(f"{name}/{student}: {outcome.scenario.origin} asserts {x.asserted}, here {got}")
    return wrong


def summary(corpus: Corpus) -> str:
    """The agreement table: how many submissions agree on every cell, how many refusals are handled."""
    outcomes = list(corpus.outcomes.values())
    graded = [o for o in outcomes if not o.nbgrader.refused]
    refused = [o for o in outcomes if o.nbgrader.refused]
    deliberate = [o for o in graded if any(x.differs for x in o.scenario.students if x.student == o.student)]
    agree = [o for o in graded if not disagreements(o) and o not in deliberate]
    handled = [o for o in refused if not disagreements(o)]
    lines = [
        f"nbgrader corpus: {len({o.scenario.name for o in outcomes})} scenarios, {len(outcomes)} submissions, "
        f"graded in {corpus.seconds:.1f} s (both graders)",
        f"agree on every cell, where nbgrader gave a score: {len(agree)}/{len(graded) - len(deliberate)}"
        + (f" (and {len(deliberate)} refused on purpose, as documented)" if deliberate else ""),
        f"nbgrader refusals handled (sabaq error or schema warning): {len(handled)}/{len(refused)}",
    ]
    differing = [o for o in outcomes if disagreements(o)]
    if differing:
        lines.append("disagreements (scenario, student: nbgrader | sabaq | what differs):")
        for o in differing:
            theirs = "refused" if o.nbgrader.refused else f"{_show(o.nbgrader.score)}/{_show(o.nbgrader.max_score)}"
            lines.append(
                f"  {o.scenario.name}, {o.student}: {theirs} | {_status(o.sabaq)[:80]} | " + "; ".join(disagreements(o))
            )
    return "\n".join(lines)
