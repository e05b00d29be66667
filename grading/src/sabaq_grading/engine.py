"""The grading engine: instructor notebook + submission -> grade report.

``Grader`` keeps a pool of warm sandboxes (see ``sabaq_grading.sandbox``) and a
cache of prepared assignments, so grading a submission costs a fork and the
student's own code, never an interpreter start.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import re
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

from . import prepared
from .autotest import expand_autotests, find_autotests, has_autotests
from .errors import NotebookError
from .metadata_schema import UnsupportedMetadata, upgrade_metadata
from .notebook import (
    NotebookTooLarge,
    check_python_kernel,
    kernel_name,
    max_score,
    notebook_checksum,
    read_notebook,
)
from .plan import WrongAssignment, build_plan
from .preload import imported_packages, notebook_sources, preload_for
from .release import student_notebook, with_header_footer
from .report import error_report, graded_report
from .sandbox import Cell, Executor, Limits, RunResult
from .sandboxes import Sandboxes


@dataclass(frozen=True)
class GradingSettings:
    """Everything that tunes grading, built in one place and passed down.

    ``ignore_pattern`` is nbgrader's ``IgnorePattern.pattern``: stderr output of a test
    matching it is dropped before scoring, so (say) a library's warnings do not cost points.
    """

    workers: int = 1
    limits: Limits = field(default_factory=Limits)
    unsafe_no_sandbox: bool = False
    max_notebook_bytes: int = 16 * 1024 * 1024
    max_cells: int = 5000  # a submission with more cells is a too_large error and runs nothing
    preload: tuple[str, ...] | None = None  # None: what each assignment imports (see preload.py)
    ignore_pattern: str = ""

    def __post_init__(self) -> None:
        try:
            re.compile(self.ignore_pattern)
        except re.error as error:
            raise ValueError(f"ignore_pattern is not a regular expression: {error}") from None


EXECUTION_ENVIRONMENT = {"NBGRADER_EXECUTION": "autograde"}  # as nbgrader autograde sets it


@dataclass(frozen=True)
class Assignment:
    """An instructor notebook prepared for grading (student version computed once).

    ``instructor`` is the notebook as nbgrader grades it: metadata upgraded to the current
    schema and AUTOTEST lines expanded; ``warnings`` say what was upgraded.
    """

    name: str
    instructor: NotebookNode
    release: NotebookNode
    checksum: str
    files: Mapping[str, bytes]
    max_score: float
    warnings: tuple[str, ...] = ()
    preload: tuple[str, ...] = ()  # the heavy libraries the instructor notebook imports

    @classmethod
    def from_notebook(
        cls,
        instructor: Any,
        *,
        name: str = "",
        files: Mapping[str, bytes] | None = None,
        header: Path | None = None,
        footer: Path | None = None,
    ) -> Assignment:
        """Prepare ``instructor`` (a path, notebook JSON or dict); raises ``NotebookError``.

        ``header`` and ``footer`` are notebooks whose cells frame the assignment, as
        nbgrader's ``IncludeHeaderFooter`` adds them to the student version.
        """
        notebook = read_notebook(instructor)
        if notebook is instructor:  # upgraded and expanded below: never change the caller's
            notebook = copy.deepcopy(notebook)
        notebook = with_header_footer(notebook, header, footer)
        folder = None
        if isinstance(instructor, Path):
            name = name or instructor.stem
            folder = instructor.parent
            if files is None:
                files = data_files(instructor.parent)
        label = name or "the assignment"
        check_python_kernel(notebook, label)
        warnings = upgrade_metadata(notebook, name=label)
        if has_autotests(notebook):
            if folder is None:
                with tempfile.TemporaryDirectory(prefix="sabaq-autotest-") as scratch:
                    write_files(Path(scratch), files or {})
                    notebook = expand_autotests(notebook, folder=Path(scratch), name=label)
            else:
                notebook = expand_autotests(notebook, folder=folder, name=label)
        return cls(
            name or "assignment",
            notebook,
            student_notebook(notebook),
            notebook_checksum(notebook),
            dict(files or {}),
            max_score(notebook),
            tuple(warnings),
            preload_for(imported_packages(notebook_sources(notebook))),
        )

    @classmethod
    def cached(cls, instructor: Path, *, header: Path | None = None, footer: Path | None = None,
               directory: Path | None = None) -> Assignment:
        """:meth:`from_notebook` for a notebook file, kept between runs (see :mod:`.prepared`)."""
        files = data_files(instructor.parent)
        if not prepared.cacheable(instructor):
            return cls.from_notebook(instructor, files=files, header=header, footer=footer)
        address = prepared.key(instructor, name=instructor.stem, header=header, footer=footer, files=files,
                               autotests=find_autotests(instructor.parent))
        entry = prepared.load(address, directory)
        if entry is not None:
            with contextlib.suppress(KeyError, TypeError, ValueError, AttributeError):
                kept = cls(str(entry["name"]), nbformat.from_dict(entry["instructor"]),
                           nbformat.from_dict(entry["release"]), str(entry["checksum"]), files,
                           float(entry["max_score"]), tuple(map(str, entry["warnings"])),
                           tuple(map(str, entry["preload"])))
                if notebook_checksum(kept.instructor) == kept.checksum:
                    return kept
        assignment = cls.from_notebook(instructor, files=files, header=header, footer=footer)
        prepared.store(address, {"name": assignment.name, "instructor": assignment.instructor,
                                 "release": assignment.release, "checksum": assignment.checksum,
                                 "max_score": assignment.max_score, "warnings": list(assignment.warnings),
                                 "preload": list(assignment.preload)}, directory)
        return assignment

    @property
    def identity(self) -> dict[str, str]:
        return {"name": self.name, "checksum": self.checksum}


def run_preload(preload: tuple[str, ...], submission: NotebookNode) -> tuple[str, ...]:
    """The preload that suits ``submission``: the assignment's heavy libraries and those the
    submission's own code imports (see :mod:`.preload` and :meth:`.Sandboxes.executor_for_run`)."""
    wanted = preload_for(imported_packages(notebook_sources(submission)))
    if set(wanted) <= set(preload):
        return preload
    return preload_for(frozenset(preload) | frozenset(wanted))


def ignore_output(run: RunResult, pattern: str) -> RunResult:
    """``run`` without the stderr outputs that match ``pattern`` (nbgrader's ``IgnorePattern``)."""
    compiled = re.compile(pattern)

    def kept(output: dict[str, Any]) -> bool:
        text = output.get("text", "")
        return not (
            output.get("output_type") == "stream"
            and output.get("name") == "stderr"
            and compiled.search(text if isinstance(text, str) else "".join(text))
        )

    cells = [dataclasses.replace(cell, outputs=[o for o in cell.outputs if kept(o)]) for cell in run.cells]
    return dataclasses.replace(run, cells=cells)


def write_files(directory: Path, files: Mapping[str, bytes]) -> None:
    """Write an assignment's data files under ``directory`` (names as ``data_files`` gives them)."""
    from .sandbox.worker import check_path

    for relative, data in files.items():
        target = directory / check_path(relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def data_files(directory: Path, *, limit_bytes: int = 32 * 1024 * 1024) -> dict[str, bytes]:
    """The files beside an assignment notebook that its code may read (never notebooks)."""
    files, total = {}, 0
    for path in sorted(directory.rglob("*")):
        if path.is_file() and path.suffix != ".ipynb" and ".ipynb_checkpoints" not in path.parts:
            total += path.stat().st_size
            if total > limit_bytes:
                raise NotebookError(f"{directory}: data files exceed {limit_bytes} bytes")
            files[path.relative_to(directory).as_posix()] = path.read_bytes()
    return files


class Grader:
    """Grades submissions against assignments; safe to share between threads.

    ``sandboxes`` may be started before the grader is made (see :mod:`.sandboxes`); it must
    have been made with the settings' workers, limits and preload.
    """

    def __init__(self, settings: GradingSettings | None = None, executor: Executor | None = None,
                 sandboxes: Sandboxes | None = None) -> None:
        self.settings = settings or GradingSettings()
        self._given = executor
        self.sandboxes = sandboxes or Sandboxes(self.settings.workers, self.settings.limits,
                                                unsafe_no_sandbox=self.settings.unsafe_no_sandbox,
                                                fixed=self.settings.preload)
        self._assignments: dict[str, Assignment] = {}

    @property
    def executor(self) -> Executor:
        """The executor for assignments that preload nothing beyond the settings'."""
        return self.executor_for(self.settings.preload or ())

    def executor_for(self, preload: tuple[str, ...]) -> Executor:
        """The executor whose sandboxes have ``preload`` imported (see :class:`.Sandboxes`)."""
        if self._given is not None:
            return self._given
        return self.sandboxes.executor_for(preload)

    def start(self, instructor: Path | None = None) -> None:
        """Start the sandboxes now rather than on the first submission, in the background.

        With ``instructor``, the ones its imports call for (read without nbgrader, so the
        sandboxes warm up while the assignment is prepared).
        """
        if self._given is None:
            self.sandboxes.start(instructor)

    def assignment(self, instructor: Any, *, name: str = "", files: Mapping[str, bytes] | None = None) -> Assignment:
        if isinstance(instructor, Assignment):
            return instructor
        key = f"{instructor}" if isinstance(instructor, Path) else ""
        if key and key in self._assignments:
            return self._assignments[key]
        prepared = Assignment.from_notebook(instructor, name=name, files=files)
        if key:
            self._assignments[key] = prepared
        return prepared

    def grade(self, instructor: Any, submission: Any, *, name: str = "") -> dict[str, Any]:
        """Grade one submission; always returns a report (status ``graded`` or ``error``)."""
        started = time.perf_counter()
        assignment = self.assignment(instructor)

        def timings(**extra: float) -> dict[str, float]:
            total = (time.perf_counter() - started) * 1000
            values = {"total_ms": round(total, 3), **{k: round(v, 3) for k, v in extra.items()}}
            if "code_ms" in extra:
                values["overhead_ms"] = round(total - extra["code_ms"], 3)
            return values

        def failed(kind: str, message: str) -> dict[str, Any]:
            report = error_report(
                kind, message, assignment=assignment.identity, max_score=assignment.max_score, timings=timings()
            )
            if name:
                report["submission"] = name
            return report

        try:
            notebook = read_notebook(submission, max_bytes=self.settings.max_notebook_bytes)
            count, limit = len(notebook.get("cells", [])), self.settings.max_cells
            if count > limit:
                return failed("too_large", f"the notebook has {count} cells, over the limit of {limit} cells")
            if notebook is submission:
                notebook = copy.deepcopy(notebook)
            if kernel_name(assignment.instructor) is None:  # else the assignment's kernel is used, as nbgrader's
                check_python_kernel(notebook, "the submission")  # OverwriteKernelspec does
            upgraded = upgrade_metadata(notebook, name="the submission")
            plan = build_plan(assignment.instructor, assignment.release, notebook)
        except NotebookTooLarge as error:
            return failed("too_large", str(error))
        except UnsupportedMetadata as error:
            return failed("unsupported_metadata", str(error))
        except NotebookError as error:
            return failed("invalid_notebook", str(error))
        except WrongAssignment as error:
            return failed("wrong_assignment", str(error))
        prepared = time.perf_counter()
        cells = [Cell(step.cell_id, step.source, step.kind) for step in plan.steps]
        executor = (self._given if self._given is not None
                    else self.sandboxes.executor_for_run(assignment.preload, run_preload(assignment.preload, notebook)))
        run = executor.run(cells, assignment.files, environment=EXECUTION_ENVIRONMENT)
        if self.settings.ignore_pattern:
            run = ignore_output(run, self.settings.ignore_pattern)
        if run.ended == "crashed":
            return failed("grader_failure", f"the sandbox failed: {run.message}")
        if run.ended == "protocol_violation":
            return failed("tampering", f"the submission interfered with the grader: {run.message}")
        report = graded_report(
            plan,
            run,
            assignment=assignment.identity,
            timings=timings(prepare_ms=(prepared - started) * 1000, execute_ms=run.total_ms, code_ms=run.code_ms),
            warnings=[*assignment.warnings, *upgraded],
        )
        if name:
            report = {"submission": name, **report}
        return report

    def close(self) -> None:
        self.sandboxes.close()

    def __enter__(self) -> Grader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
