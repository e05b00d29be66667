"""Practice runs: the learner's "Run" button, answered within the request, never graded.

A practice run fills the learner's answers into the block's *student* notebook (nbgrader's
release, which has no hidden tests; the instructor notebook never leaves the block for it) and
has a grader run it with the visible tests in its sandbox (``sabaq_contract.tasks.PRACTICE_TASK``,
on the practice queue), waiting for the answer like Studio's check does. It uses no attempt,
stores no submission and publishes no score; only the time it began is kept, for the
learner's practice rate limit (``practice_runs``). The answer names only the learner's answer
cells and the test cells with visible code: what the page shows anyway.
"""

from __future__ import annotations

from typing import Any

from sabaq_contract.tasks import PracticeRequest

from . import limits
from . import notebook as nbmod
from .errors import BackendUnavailable, PracticeLate
from .requests import json_handler

WAIT_MARGIN = 5.0
"""Seconds the request waits beyond the run's own time limit: the queue and the sandbox's start."""


def visible_tests(student: nbmod.Notebook) -> list[str]:
    """The grade ids of the test cells a learner can see and run: code left after the release."""
    names = []
    for cell in student.get("cells", []):
        meta = nbmod.nbgrader(cell)
        grade_id = meta.get("grade_id")
        if cell.get("cell_type") != "code" or not meta.get("grade") or meta.get("solution"):
            continue
        code = nbmod.strip_protected(nbmod.source(cell))
        if isinstance(grade_id, str) and any(
                line.strip() and not line.strip().startswith("#") for line in code.splitlines()):
            names.append(grade_id)
    return names


def learner_answer(result: dict[str, Any], answers: list[str], tests: list[str]) -> dict[str, Any]:
    """What the page shows of a practice ``result`` (``sabaq_contract.tasks.practice_result``):
    rows only for the learner's ``answers`` and the ``tests`` they can see, and no score."""
    shown_answers, shown_tests = set(answers), set(tests)
    rows_answers, rows_tests = [], []
    for cell in result["cells"]:
        row = {"grade_id": cell["grade_id"], "status": cell["status"], "message": cell["message"],
               "output": cell["output"]}
        if cell["kind"] == "answer" and cell["grade_id"] in shown_answers:
            rows_answers.append(row)
        elif cell["kind"] == "test" and cell["grade_id"] in shown_tests:
            rows_tests.append({**row, "passed": bool(cell["passed"])})
    return {
        "practice": True,
        "graded": False,
        "ended": result["ended"],
        "message": result["message"] if result["ended"] != "completed" else "",
        "answers": rows_answers,
        "tests": rows_tests,
        "passed": sum(1 for row in rows_tests if row["passed"]),
        "total": len(rows_tests),
    }


class PracticeHandlers:
    """``practice_run``: a mixin of the ``sabaq_notebook`` block."""

    _student_nb: Any
    _limits: Any
    _settings: Any
    _learner: Any
    _grading: Any
    scope_ids: Any
    data_files: Any

    @json_handler()
    def practice_run(self, data: dict[str, Any], suffix: str = "") -> dict[str, Any]:
        """Run ``{"answers": {grade_id: source}}`` and the visible tests once; outputs and
        pass/fail per visible test. Checked like a submission (cells, size) before anything runs;
        over the deployment's practice rate limit, 429 with the seconds to wait."""
        from .practice_runs import PracticeRuns
        from .render import without_quiz_sources

        student = self._student_nb()
        filled = without_quiz_sources(nbmod.answered(student, data.get("answers")))  # no widget's answer key
        text = limits.checked(filled, self._limits)
        settings = self._settings
        runs = PracticeRuns(settings.submissions_db)
        run_id = runs.admit(self._learner, str(self.scope_ids.usage_id), settings.practice_rate_limit,
                            settings.practice_rate_window)
        request = PracticeRequest(text, dict(self.data_files), settings.practice_timeout)
        try:
            result = self._grading.backend.practice(request, settings.practice_timeout + WAIT_MARGIN)
        except PracticeLate:
            raise  # it was queued and may have run: it counts
        except BackendUnavailable:
            runs.refund(run_id)  # nothing was queued
            raise
        answers = [cell.grade_id for cell in nbmod.answer_cells(student)]
        return learner_answer(result, answers, visible_tests(student))
