"""The block's staff handlers for grading by hand, the cohort dashboard, and grades as CSV.

A mixin of the ``sabaq_notebook`` block. Every handler is for staff only. Tutors' grades are
kept by :mod:`.manual_grades`; a submission's score follows from them in one place,
``Lifecycle.settle_learner``, which also publishes it once it is whole. What a tutor sees is
:mod:`.marking`'s, the dashboard's figures :mod:`.dashboard`'s, the CSV :mod:`.grade_csv`'s.
"""

from __future__ import annotations

from typing import Any

from webob import Response

from . import dashboard, grade_csv, manual_grades, marking
from .compat import site_secret
from .errors import AnswersInvalid, Conflict, NotFound, RequestInvalid
from .requests import handler, json_handler, read_body
from .submissions import Submission, latest_graded

MAX_REGRADE = 500


class StaffGradingHandlers:
    """``manual_queue``, ``marking_sheet``, ``save_manual_grade``, ``grades_csv``, ``grades_import``,
    ``cohort_dashboard``, ``regrade_many``."""

    _require_staff: Any
    _learner: Any
    _language: Any
    _settings: Any
    _grading: Any
    _limits: Any
    _publish_submission: Any
    _callback_url: Any
    anonymous_grading: bool
    display_name: str
    notebook: str
    data_files: Any

    def _gradable(self, submission_id: Any) -> Submission:
        """The submission ``submission_id`` of this block, if it is its learner's latest graded one."""
        if not isinstance(submission_id, str) or not submission_id:
            raise RequestInvalid("bad_submission_id")
        grading = self._grading
        sub: Submission | None = grading.store.get(submission_id)
        if sub is None or sub.block_id != grading.block_id or sub.state != "graded":
            raise NotFound("no_submission")
        if sub.manual is None:
            raise Conflict("no_manual_cells")
        newest = latest_graded(grading.store.for_learner(grading.block_id, sub.learner_id)).get(sub.learner_id)
        if newest is None or newest.id != sub.id:
            raise Conflict("not_latest")
        return sub

    @json_handler()
    def manual_queue(self, data: dict[str, Any], suffix: str = "") -> dict[str, Any]:
        """Staff: the submissions with cells a tutor grades, waiting ones first, in marking order."""
        self._require_staff()
        grading = self._grading
        items = marking.queue(grading.store.for_block(grading.block_id), grading.block_id, self._learner,
                              self.anonymous_grading, site_secret(self._settings))
        return {"anonymous": self.anonymous_grading, "items": items,
                "waiting": sum(1 for item in items if item["manual"] == manual_grades.WAITING)}

    @json_handler()
    def marking_sheet(self, data: dict[str, Any], suffix: str = "") -> dict[str, Any]:
        """Staff: one submission's answers to grade, beside the model answers and rubrics."""
        self._require_staff()
        sub = self._gradable(data.get("submission_id"))
        grading = self._grading
        grades = grading.lifecycle.manual.for_submission(sub.block_id, sub.learner_id, sub.notebook, sub.report)
        if sub.manual == manual_grades.WAITING and manual_grades.settle(sub.report, grades)[1] == manual_grades.GRADED:
            # every cell has its grade but the score was not settled (a save cut short): settle it now
            sub = grading.lifecycle.settle_learner(sub.block_id, sub.learner_id, self._publish_submission) or sub
        return marking.sheet(sub, grading.instructor_of(sub.assignment), grades, self.anonymous_grading,
                             site_secret(self._settings))

    @json_handler()
    def save_manual_grade(self, data: dict[str, Any], suffix: str = "") -> dict[str, Any]:
        """Staff: ``{"submission_id", "grade_id", "points", "comment", "rubric": [item], "revision"}``,
        ``revision`` being the grade's as the tutor saw it (0: not graded yet)."""
        self._require_staff()
        sub = self._gradable(data.get("submission_id"))
        cells = {cell.grade_id: cell for cell in manual_grades.cells_to_grade(sub.report)}
        grade_id = data.get("grade_id")
        cell = cells.get(grade_id) if isinstance(grade_id, str) else None
        if cell is None:
            raise AnswersInvalid("bad_grade_id")
        revision = data.get("revision", 0)
        if isinstance(revision, bool) or not isinstance(revision, int) or not 0 <= revision < 2**31:
            raise RequestInvalid("bad_revision")
        grading = self._grading
        model = marking.cells_by_id(grading.instructor_of(sub.assignment)).get(cell.grade_id)
        values = manual_grades.checked(cell, data.get("points"), data.get("comment", ""), data.get("rubric", []),
                                       len(marking.rubric(model)))
        key = manual_grades.answer_keys(sub.notebook, [cell])[cell.grade_id]
        grade = grading.lifecycle.manual.save(sub.block_id, sub.learner_id, cell.grade_id, key, values,
                                              self._learner, revision)
        settled = grading.lifecycle.settle_learner(sub.block_id, sub.learner_id, self._publish_submission)
        assert settled is not None
        return {"grade": grade.as_json(), "submission_id": settled.id, "manual": settled.manual,
                "score": settled.score, "max_score": settled.max_score}

    @handler("GET", "HEAD")
    def grades_csv(self, request: Any, suffix: str = "") -> Response:
        """Staff: every learner's latest graded submission, its cells' points and comments, as CSV."""
        self._require_staff()
        rows = [grade_csv.Row(sub, self._grading.lifecycle.manual.for_submission(
            sub.block_id, sub.learner_id, sub.notebook, sub.report)) for sub in self._latest().values()]
        response = Response(grade_csv.export(self.display_name, rows), content_type="text/csv", charset="utf8")
        response.headers["Content-Disposition"] = 'attachment; filename="grades.csv"'
        return response

    @handler("POST")
    def grades_import(self, request: Any, suffix: str = "") -> dict[str, Any]:
        """Staff: set manual grades from a CSV body (the export's shape); all of it, or none."""
        self._require_staff()
        try:
            text = read_body(request, grade_csv.MAX_IMPORT_BYTES).decode("utf-8")
        except UnicodeDecodeError as error:
            raise RequestInvalid("bad_csv") from error
        if "\0" in text:
            raise RequestInvalid("bad_csv")
        planned = grade_csv.plan_import(text, self._latest(), self._language)
        lifecycle = self._grading.lifecycle
        changed = lifecycle.manual.import_grades([
            (item.sub.block_id, item.sub.learner_id, item.cell.grade_id,
             manual_grades.answer_keys(item.sub.notebook, [item.cell])[item.cell.grade_id], item.points, item.comment)
            for item in planned], self._learner)
        for item in {(i.sub.block_id, i.sub.learner_id): i for i in planned}.values():
            lifecycle.settle_learner(item.sub.block_id, item.sub.learner_id, self._publish_submission)
        return {"imported": changed, "unchanged": len(planned) - changed}

    def _latest(self) -> dict[str, Submission]:
        grading = self._grading
        return latest_graded(grading.store.for_block(grading.block_id))

    @json_handler()
    def cohort_dashboard(self, data: dict[str, Any], suffix: str = "") -> dict[str, Any]:
        """Staff: the assignment's figures (``dashboard.figures``) and its score chart."""
        from .charts import score_chart
        from .compat import enrolled_learners

        self._require_staff()
        grading = self._grading
        figures = dashboard.figures(grading.store.for_block(grading.block_id), enrolled=enrolled_learners(self))
        figures["chart"] = score_chart(figures["scores"]["histogram"], self._language)
        return figures

    @json_handler()
    def regrade_many(self, data: dict[str, Any], suffix: str = "") -> dict[str, Any]:
        """Staff: grade ``submission_ids`` again (after fixing a test); those pending are skipped."""
        self._require_staff()
        ids = data.get("submission_ids")
        if not isinstance(ids, list) or not ids or len(ids) > MAX_REGRADE or not all(
                isinstance(i, str) and i for i in ids):
            raise RequestInvalid("bad_submission_ids", limit=MAX_REGRADE)
        grading = self._grading
        subs = [grading.store.get(i) for i in dict.fromkeys(ids)]
        if any(sub is None or sub.block_id != grading.block_id for sub in subs):
            raise NotFound("no_submission")
        queued, skipped = [], []
        callback = self._callback_url()
        for sub in subs:
            assert sub is not None
            newest = grading.store.for_learner(grading.block_id, sub.learner_id)
            if newest and newest[0].id != sub.id:
                skipped.append(sub.id)  # superseded: the learner has submitted since (a stale selection)
                continue
            try:
                queued.append(grading.regrade(sub.id, self.notebook, callback, dict(self.data_files),
                                              limits=self._limits).id)
            except Conflict:
                skipped.append(sub.id)  # its learner has a submission being graded
        return {"queued": queued, "skipped": skipped}

