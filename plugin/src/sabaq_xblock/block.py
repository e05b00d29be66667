"""The ``sabaq_notebook`` XBlock: a thin adapter over the logic modules.

Rendering (``render``), submissions (``submissions``) and their lifecycle
(``lifecycle``), the grading backend (``backend``), widget state (``widgets``) and
strings (``i18n``) are plain Python, and what the block and its graders agree on is
``sabaq_contract``; this class holds the fields, checks who may do what, and turns
errors into translated 4xx answers.
"""

from __future__ import annotations

import json
from typing import Any

from webob import Response
from xblock.core import XBlock
from xblock.exceptions import JsonHandlerError
from xblock.fields import Boolean, Dict, Float, Integer, Scope, String
from xblock.scorable import ScorableXBlockMixin, Score

from sabaq_contract import settings as deployment
from sabaq_contract.states import State

from . import feedback, i18n, limits, olx
from . import notebook as nbmod
from .errors import AnswersInvalid, NotebookInvalid, NotFound, RequestInvalid, SabaqBlockError, TooLarge
from .grading import GradingService
from .i18n import _
from .practice import PracticeHandlers
from .provenance import ProvenanceMixin
from .requests import (
    MAX_REPORT_BYTES,
    MAX_STUDIO_BYTES,
    NOTEBOOK_DEPTH,
    error_response,
    handler,
    json_handler,
    parse_json,
    read_body,
)
from .staff_grading import StaffGradingHandlers
from .submissions import Submission
from .upgrade_handlers import UpgradeHandlers


def _fail(error: SabaqBlockError) -> JsonHandlerError:
    return JsonHandlerError(error.status, i18n.error_message(error.code, **error.params))


@XBlock.wants("settings", "user", "i18n")
class NotebookBlock(StaffGradingHandlers, UpgradeHandlers, PracticeHandlers, ProvenanceMixin,
                    ScorableXBlockMixin, XBlock):  # type: ignore[misc]
    """A notebook lesson or graded assignment, authored the nbgrader way."""

    display_name = String(
        display_name=_("Display name"),
        help=_("The name learners see for this unit."),
        scope=Scope.settings,
        default=_("Notebook"),
    )
    notebook = String(
        display_name=_("Instructor notebook"),
        help=_("The nbgrader notebook with solutions and hidden tests; never sent to learners."),
        scope=Scope.content,
        default="",
    )
    student_notebook = String(
        display_name=_("Student notebook"),
        help=_("The learners' version, made from the instructor notebook by the grader."),
        scope=Scope.content,
        default="",
    )
    data_files = Dict(
        display_name=_("Data files"),
        help=_("Files the assignment's code reads, sent to the grader with each submission."),
        scope=Scope.content,
    )
    weight = Float(
        display_name=_("Weight"),
        help=_("How much this unit counts in the course grade."),
        scope=Scope.settings,
        default=1.0,
        values={"min": 0},
    )
    max_attempts = Integer(
        display_name=_("Maximum attempts"),
        help=_("How many times a learner may submit; 0 means no limit."),
        scope=Scope.settings,
        default=0,
        values={"min": 0},
    )
    feedback_policy = String(
        display_name=_("Feedback"),
        help=_("full: test messages; tests: pass or fail per test; score: the score only."),
        scope=Scope.settings,
        default="full",
        values=list(feedback.POLICIES),
    )
    max_notebook_kb = Integer(
        display_name=_("Largest submission (KB)"),
        help=_("A submitted or uploaded notebook larger than this is refused before it is stored "
               "or graded (at most 5120 KB)."),
        scope=Scope.settings,
        default=limits.DEFAULT_MAX_KB,
        values={"min": 1, "max": limits.HARD_MAX_KB},
    )
    max_cells = Integer(
        display_name=_("Most cells in a submission"),
        help=_("A submitted or uploaded notebook with more cells than this is refused before it is "
               "stored or graded (at most 5000)."),
        scope=Scope.settings,
        default=limits.DEFAULT_MAX_CELLS,
        values={"min": 1, "max": limits.HARD_MAX_CELLS},
    )
    anonymous_grading = Boolean(
        display_name=_("Anonymous grading"),
        help=_("Tutors grading written answers see pseudonyms instead of learners' names, in a shuffled order."),
        scope=Scope.settings,
        default=True,
    )
    drafts = Dict(help=_("The learner's unsaved answers by cell."), scope=Scope.user_state)
    widget_values = Dict(help=_("The learner's widget values by model."), scope=Scope.user_state)

    icon_class = "problem"
    public_dir = "static"
    has_author_view = True

    # ---- configuration and helpers -------------------------------------------------

    @property
    def _settings(self) -> deployment.Settings:
        service = self.runtime.service(self, "settings")
        given = service.get_settings_bucket(self) if service is not None else None
        return deployment.load(given if isinstance(given, dict) else None)

    @property
    def _grading(self) -> GradingService:
        return GradingService(self._settings, str(self.scope_ids.usage_id))

    @property
    def _learner(self) -> str:
        return str(self.scope_ids.user_id)

    @property
    def _language(self) -> str:
        return i18n.active_language()

    def _is_staff(self) -> bool:
        service = self.runtime.service(self, "user")
        if service is None:
            return False
        attrs = getattr(service.get_current_user(), "opt_attrs", {}) or {}
        role = attrs.get("edx-platform.user_role")
        return bool(attrs.get("edx-platform.user_is_staff")) or role in ("staff", "instructor")

    def _require_staff(self) -> None:
        if not self._is_staff():
            raise JsonHandlerError(403, i18n.error_message("not_staff"))

    @property
    def _limits(self) -> limits.SubmissionLimits:
        return limits.SubmissionLimits.of(self.max_notebook_kb, self.max_cells)

    def _student_nb(self) -> nbmod.Notebook:
        if not self.student_notebook:
            raise JsonHandlerError(409, i18n.error_message("no_notebook"))
        return nbmod.load(self.student_notebook)

    def _publish_score(
        self, learner_id: str, score: float, max_score: float, only_if_higher: bool | None = None
    ) -> None:
        """The one place scores leave the block."""
        event: dict[str, Any] = {
            "value": score,
            "max_value": max_score,
            "only_if_higher": only_if_higher,
        }
        if learner_id == self._learner:
            self.runtime.publish(self, "grade", event)
        else:
            from .compat import publish_for_learner

            publish_for_learner(self, learner_id, event)

    def _publish_submission(self, sub: Submission) -> None:
        self._publish_score(sub.learner_id, sub.score or 0.0, sub.max_score or 0.0)

    # ---- ScorableXBlockMixin -------------------------------------------------------

    def has_submitted_answer(self) -> bool:
        return bool(self._grading.store.for_learner(self._grading.block_id, self._learner))

    def get_score(self) -> Score:
        for sub in self._grading.store.for_learner(self._grading.block_id, self._learner):
            if sub.state == "graded" and sub.manual != "waiting":  # a score waiting for a tutor is not out yet
                return Score(sub.score or 0.0, sub.max_score or 0.0)
        return Score(0.0, self.max_score())

    def _publish_grade(self, score: Score, only_if_higher: bool | None = None) -> None:
        self._publish_score(self._learner, score.raw_earned, score.raw_possible, only_if_higher)

    def set_score(self, score: Score) -> None:
        """Scores live with their submissions; rescoring republishes the latest."""

    def calculate_score(self) -> Score:
        return self.get_score()

    def max_score(self) -> float:
        try:
            return nbmod.max_points(nbmod.load(self.notebook or self.student_notebook))
        except SabaqBlockError:
            return 0.0

    # ---- OLX -----------------------------------------------------------------------

    @classmethod
    def parse_xml(cls, node: Any, runtime: Any, keys: Any) -> NotebookBlock:
        block: NotebookBlock = runtime.construct_xblock_from_class(cls, keys)
        attributes, notebooks, files = olx.read(node)
        for name, value in attributes.items():
            setattr(block, name, block.fields[name].from_string(value))
        for name, text in notebooks.items():
            setattr(block, name, text)
        if files:
            block.data_files = files
        return block

    def add_xml_to_node(self, node: Any) -> None:
        node.tag = self.scope_ids.block_type
        attributes = {
            name: self.fields[name].to_string(getattr(self, name))
            for name in olx.ATTRIBUTE_FIELDS
            if self.fields[name].is_set_on(self)
        }
        notebooks = {"notebook": self.notebook, "student_notebook": self.student_notebook}
        olx.write(node, attributes, notebooks, dict(self.data_files))

    # ---- views ---------------------------------------------------------------------

    def student_view(self, context: dict[str, Any] | None = None) -> Any:
        from .fragment import student_fragment

        return student_fragment(self)

    def author_view(self, context: dict[str, Any] | None = None) -> Any:
        return self.student_view(context)

    def studio_view(self, context: dict[str, Any] | None = None) -> Any:
        from .fragment import studio_fragment

        return studio_fragment(self)

    # ---- learner handlers ----------------------------------------------------------

    @json_handler()
    def submit(self, data: dict[str, Any], suffix: str = "") -> dict[str, Any]:
        """Queue the learner's in-page answers ``{"answers": {grade_id: source}}`` for grading."""
        from .render import without_quiz_sources

        student = self._student_nb()
        filled = without_quiz_sources(nbmod.answered(student, data.get("answers")))  # no widget's answer key
        return self._queue(limits.checked(filled, self._limits), "submit")

    @handler("POST")
    def upload(self, request: Any, suffix: str = "") -> dict[str, Any]:
        """Queue an uploaded ``.ipynb`` (multipart field ``notebook``) for grading.

        The file is read only up to the block's size limit, and its cells are counted,
        before anything is stored.
        """
        self._student_nb()
        bound = self._limits
        if (request.content_length or 0) > bound.max_bytes + limits.FORM_OVERHEAD:
            raise TooLarge("notebook_too_large", limit_kb=bound.max_bytes // 1024)
        field = request.POST.get("notebook")
        if field is None or not hasattr(field, "file"):
            raise NotebookInvalid("no_file")
        raw = field.file.read(bound.max_bytes + 1)
        limits.check_size(len(raw), bound)
        try:
            parsed = parse_json(raw, max_depth=NOTEBOOK_DEPTH)
        except RequestInvalid as error:
            raise NotebookInvalid("not_json") from error
        if not isinstance(parsed, dict):
            raise NotebookInvalid("no_cells")
        return self._queue(limits.checked(nbmod.load(parsed), bound), "upload")

    def _queue(self, submission: str, kind: str) -> dict[str, Any]:
        """Store and queue ``submission``: the store decides attempts, pending and rate at once."""
        grading = self._grading
        sub = grading.submit(
            self.notebook, submission, self._learner, kind, self._callback_url(),
            dict(self.data_files), limits=self._limits,
            admission=grading.admission(self.max_attempts),
        )
        return {"submission_id": sub.id, "state": sub.state}

    def _callback_url(self) -> str | None:
        settings = self._settings
        if not settings.callback_secret:
            return None
        url = str(self.runtime.handler_url(self, "grading_result", thirdparty=True))
        if url.startswith("http"):
            return url
        return settings.callback_base_url.rstrip("/") + url if settings.callback_base_url else None

    @json_handler()
    def status(self, data: dict[str, Any], suffix: str = "") -> dict[str, Any]:
        """The learner's latest submission (or ``submission_id``): state, score, feedback.

        Only reads: the grader's callbacks and the reconciler move submissions on.
        """
        grading = self._grading
        wanted = data.get("submission_id")
        if wanted is not None and not isinstance(wanted, str):
            raise RequestInvalid("bad_submission_id")
        subs = grading.store.for_learner(grading.block_id, self._learner)
        if wanted is not None:
            subs = [s for s in subs if s.id == wanted]
            if not subs:
                raise NotFound("no_submission")
        used = grading.store.attempts_used(grading.block_id, self._learner)
        answer: dict[str, Any] = {
            "state": State.NONE.value,
            "score": None,
            "max_score": None,
            "feedback": [],
            "attempts_used": used,
            "max_attempts": self.max_attempts,
        }
        if not subs:
            return answer
        sub = subs[0]
        answer.update(
            submission_id=sub.id,
            state=sub.state,
            score=sub.score,
            max_score=sub.max_score,
            feedback=feedback.learner_feedback(sub.report, self.feedback_policy),
            error=feedback.error_of(sub.report),
        )
        if self.feedback_policy == "score":
            answer["feedback"] = []
        if sub.manual is not None:
            grades = grading.lifecycle.manual.for_submission(sub.block_id, sub.learner_id, sub.notebook, sub.report)
            answer["manual"] = feedback.manual_feedback(sub.report, sub.manual, grades)
        return answer

    @json_handler()
    def save_draft(self, data: dict[str, Any], suffix: str = "") -> dict[str, Any]:
        """Remember ``{"grade_id", "source"}`` as the learner types."""
        grade_id, source = data.get("grade_id"), data.get("source")
        known = {cell.grade_id for cell in nbmod.answer_cells(self._student_nb())}
        if not isinstance(grade_id, str) or not isinstance(source, str):
            raise AnswersInvalid("bad_answers")
        if grade_id not in known:
            raise AnswersInvalid("unknown_cell")
        if len(source.encode("utf-8")) > nbmod.MAX_ANSWER_BYTES:
            raise AnswersInvalid("too_large")
        drafts = dict(self.drafts)
        drafts[grade_id] = source
        self.drafts = drafts
        return {"saved": True}

    @handler("GET", "HEAD")
    def download(self, request: Any, suffix: str = "") -> Response:
        """The student notebook with the learner's drafts filled in, as an attachment."""
        from .render import without_quiz_sources

        nb = without_quiz_sources(nbmod.fill_answers(self._student_nb(), dict(self.drafts)))
        response = Response(json.dumps(nb, indent=1), content_type="application/x-ipynb+json",
                            charset="utf8")
        response.headers["Content-Disposition"] = 'attachment; filename="notebook.ipynb"'
        return response

    @json_handler()
    def widget_state(self, data: Any, suffix: str = "") -> dict[str, Any]:
        """Load (``{"action": "load"}``) or save (``{"action": "save", "model_id", "state"}``).

        A saved ``response`` is a check: scored, counted and limited on the server, whose
        record of it the page cannot write (see ``widgets``).
        """
        from .widget_checks import WidgetChecks
        from .widgets import handle_widget_state

        try:
            checks = WidgetChecks(self._settings.submissions_db, str(self.scope_ids.usage_id),
                                  self._learner)
            answer, saved = handle_widget_state(data, self.notebook or self.student_notebook,
                                                dict(self.widget_values), checks)
        except SabaqBlockError as error:
            raise _fail(error) from error
        if saved is not None:
            self.widget_values = saved
        return answer

    @XBlock.handler  # type: ignore[untyped-decorator]
    def widget_module(self, request: Any, suffix: str = "") -> Response:
        """A hosted widget kind's ES module (``<kind>.js``) or stylesheet (``<kind>.css``)."""
        from .fragment import widget_asset

        kind, _, ext = suffix.rpartition(".")
        asset = widget_asset(kind, ext)
        if asset is None:
            return Response(status=404)
        body, ctype = asset
        response = Response(body=body, content_type=ctype, charset="utf8")
        response.cache_control.max_age = 3600
        return response

    # ---- the grader's callback -----------------------------------------------------

    @handler("POST")
    def grading_result(self, request: Any, suffix: str = "") -> dict[str, Any]:
        """The grader's signed ``started`` or ``finished`` message (``sabaq_contract.callbacks``)."""
        event = self._grading.accept_callback(
            self._settings.callback_secret, read_body(request, MAX_REPORT_BYTES), request.headers,
            self._publish_submission,
        )
        return {"accepted": True, "event": event}

    # ---- staff handlers ------------------------------------------------------------

    @json_handler()
    def learner_report(self, data: dict[str, Any], suffix: str = "") -> dict[str, Any]:
        """Staff only: every learner's submissions to this unit, with full reports on request."""
        self._require_staff()
        learner_id = data.get("learner_id")
        if learner_id is not None and not isinstance(learner_id, str):
            raise RequestInvalid("bad_learner_id")
        report = self._grading.report(learner_id)
        if self.module_id:  # a unit made from a bundle: which version graded each submission
            from .upgrades import version_of

            rows = [r["latest"] for r in report.get("learners", [])] + list(report.get("submissions", []))
            versions: dict[str | None, str | None] = {}
            for row in rows:
                key = row.get("assignment")
                if key not in versions:
                    versions[key] = version_of(self, self._grading.instructor_of(key))
                row["version"] = versions[key]
        return report

    @json_handler()
    def regrade(self, data: dict[str, Any], suffix: str = "") -> dict[str, Any]:
        """Staff only: grade ``submission_id`` again (it does not use an attempt)."""
        self._require_staff()
        submission_id = data.get("submission_id")
        if not isinstance(submission_id, str) or not submission_id:
            raise RequestInvalid("bad_submission_id")
        sub = self._grading.regrade(submission_id, self.notebook, self._callback_url(),
                                    dict(self.data_files), limits=self._limits)
        return {"submission_id": sub.id, "state": sub.state}

    @json_handler(MAX_STUDIO_BYTES)
    def studio_submit(self, data: dict[str, Any], suffix: str = "") -> dict[str, Any]:
        """Studio: save settings and, optionally, a new instructor notebook (all or nothing)."""
        from .studio import studio_changes

        self._require_staff()
        current = {"student_notebook": self.student_notebook, "max_notebook_kb": self.max_notebook_kb,
                   "max_cells": self.max_cells}
        changes = studio_changes(
            data, current,
            lambda text: self._grading.backend.prepare(text, self._settings.prepare_timeout, dict(self.data_files)),
        )
        for name, value in changes.items():
            setattr(self, name, value)
        if "notebook" in changes and self.module_id:  # edited here: no longer the module's version
            from .upgrades import detach

            detach(self)
        return {"saved": sorted(changes)}

    @XBlock.handler  # type: ignore[untyped-decorator]
    def fallback_handler(self, handler_name: str, request: Any, suffix: str = "") -> Response:
        """Any handler name the block does not have: 404 with a message, nothing changed."""
        return error_response(NotFound("unknown_handler"))

    # ---- workbench -----------------------------------------------------------------

    @staticmethod
    def workbench_scenarios() -> list[tuple[str, str]]:
        from .scenarios import workbench_scenarios

        return workbench_scenarios()
