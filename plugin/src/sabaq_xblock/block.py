"""The ``sabaq_notebook`` XBlock: a thin adapter over the logic modules.

Rendering (``render``), submissions (``submissions``), the grading backend
(``backend``), callback signatures (``signature``), widget state (``widgets``)
and strings (``i18n``) are plain Python; this class holds the fields, checks
who may do what, and turns errors into translated 4xx answers.
"""

from __future__ import annotations

import json
from typing import Any

from webob import Response
from xblock.core import XBlock
from xblock.exceptions import JsonHandlerError
from xblock.fields import Dict, Float, Integer, Scope, String
from xblock.scorable import ScorableXBlockMixin, Score

from . import config, feedback, i18n, olx
from . import notebook as nbmod
from .errors import AnswersInvalid, Conflict, NotAllowed, NotebookInvalid, NotFound, SabaqBlockError
from .grading import GradingService
from .i18n import _


def _fail(error: SabaqBlockError) -> JsonHandlerError:
    return JsonHandlerError(error.status, i18n.error_message(error.code))


def _json_error(error: SabaqBlockError) -> Response:
    body = json.dumps({"error": i18n.error_message(error.code)})
    return Response(body, status=error.status, content_type="application/json", charset="utf8")


@XBlock.wants("settings", "user", "i18n")
class NotebookBlock(ScorableXBlockMixin, XBlock):  # type: ignore[misc]
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
    drafts = Dict(help=_("The learner's unsaved answers by cell."), scope=Scope.user_state)
    widget_values = Dict(help=_("The learner's widget values by model."), scope=Scope.user_state)

    icon_class = "problem"
    public_dir = "static"
    has_author_view = True

    # ---- configuration and helpers -------------------------------------------------

    @property
    def _settings(self) -> config.Settings:
        service = self.runtime.service(self, "settings")
        given = service.get_settings_bucket(self) if service is not None else None
        return config.load(given if isinstance(given, dict) else None)

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

    # ---- ScorableXBlockMixin -------------------------------------------------------

    def has_submitted_answer(self) -> bool:
        return bool(self._grading.store.for_learner(self._grading.block_id, self._learner))

    def get_score(self) -> Score:
        for sub in self._grading.store.for_learner(self._grading.block_id, self._learner):
            if sub.state == "graded":
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

    @XBlock.json_handler  # type: ignore[untyped-decorator]
    def submit(self, data: Any, suffix: str = "") -> dict[str, Any]:
        """Queue the learner's in-page answers ``{"answers": {grade_id: source}}`` for grading."""
        student = self._student_nb()
        try:
            filled = nbmod.answered(student, data.get("answers") if isinstance(data, dict) else None)
            return self._queue(json.dumps(filled), "submit")
        except SabaqBlockError as error:
            raise _fail(error) from error

    @XBlock.handler  # type: ignore[untyped-decorator]
    def upload(self, request: Any, suffix: str = "") -> Response:
        """Queue an uploaded ``.ipynb`` (multipart field ``notebook``) for grading."""
        if request.method != "POST":
            return Response(status=405, allow=["POST"])
        try:
            self._student_nb()
            field = request.POST.get("notebook")
            if field is None or not hasattr(field, "file"):
                raise NotebookInvalid("no_file")
            raw = field.file.read(nbmod.MAX_NOTEBOOK_BYTES + 1)
            nb = nbmod.load(raw)
            answer = self._queue(json.dumps(nb), "upload")
        except SabaqBlockError as error:
            return _json_error(error)
        except JsonHandlerError as error:
            return error.get_response()
        return Response(json.dumps(answer), content_type="application/json", charset="utf8")

    def _queue(self, submission: str, kind: str) -> dict[str, Any]:
        grading = self._grading
        used = grading.store.attempts_used(grading.block_id, self._learner)
        if self.max_attempts and used >= self.max_attempts:
            raise NotAllowed("no_attempts")
        if grading.pending(self._learner):
            raise Conflict("already_grading")
        sub = grading.submit(
            self.notebook, submission, self._learner, kind, self._callback_url(),
            dict(self.data_files),
        )
        return {"submission_id": sub.id, "state": "queued"}

    def _callback_url(self) -> str | None:
        settings = self._settings
        if not settings.callback_secret:
            return None
        url = str(self.runtime.handler_url(self, "grading_result", thirdparty=True))
        if url.startswith("http"):
            return url
        return settings.callback_base_url.rstrip("/") + url if settings.callback_base_url else None

    @XBlock.json_handler  # type: ignore[untyped-decorator]
    def status(self, data: Any, suffix: str = "") -> dict[str, Any]:
        """The learner's latest submission (or ``submission_id``): state, score, feedback."""
        grading = self._grading
        wanted = data.get("submission_id") if isinstance(data, dict) else None
        subs = grading.store.for_learner(grading.block_id, self._learner)
        if wanted is not None:
            subs = [s for s in subs if s.id == wanted]
            if not subs:
                raise _fail(NotFound("no_submission"))
        used = grading.store.attempts_used(grading.block_id, self._learner)
        answer: dict[str, Any] = {
            "state": "none",
            "score": None,
            "max_score": None,
            "feedback": [],
            "attempts_used": used,
            "max_attempts": self.max_attempts,
        }
        if not subs:
            return answer
        try:
            sub = grading.refresh(subs[0], self._publish_score, self.notebook, dict(self.data_files))
        except SabaqBlockError as error:
            raise _fail(error) from error
        answer.update(
            submission_id=sub.id,
            state=sub.state,
            score=sub.score,
            max_score=sub.max_score,
            feedback=feedback.learner_feedback(sub.report, self.feedback_policy),
            error=feedback.error_of(sub.report),
            attempts_used=grading.store.attempts_used(grading.block_id, self._learner),
        )
        if self.feedback_policy == "score":
            answer["feedback"] = []
        return answer

    @XBlock.json_handler  # type: ignore[untyped-decorator]
    def save_draft(self, data: Any, suffix: str = "") -> dict[str, Any]:
        """Remember ``{"grade_id", "source"}`` as the learner types."""
        grade_id = data.get("grade_id") if isinstance(data, dict) else None
        source = data.get("source") if isinstance(data, dict) else None
        known = {cell.grade_id for cell in nbmod.answer_cells(self._student_nb())}
        if not isinstance(grade_id, str) or not isinstance(source, str):
            raise _fail(AnswersInvalid("bad_answers"))
        if grade_id not in known:
            raise _fail(AnswersInvalid("unknown_cell"))
        if len(source.encode("utf-8")) > nbmod.MAX_ANSWER_BYTES:
            raise _fail(AnswersInvalid("too_large"))
        drafts = dict(self.drafts)
        drafts[grade_id] = source
        self.drafts = drafts
        return {"saved": True}

    @XBlock.handler  # type: ignore[untyped-decorator]
    def download(self, request: Any, suffix: str = "") -> Response:
        """The student notebook with the learner's drafts filled in, as an attachment."""
        try:
            nb = nbmod.fill_answers(self._student_nb(), dict(self.drafts))
        except JsonHandlerError as error:
            return error.get_response()
        response = Response(json.dumps(nb, indent=1), content_type="application/x-ipynb+json",
                            charset="utf8")
        response.headers["Content-Disposition"] = 'attachment; filename="notebook.ipynb"'
        return response

    @XBlock.json_handler  # type: ignore[untyped-decorator]
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

    @XBlock.handler  # type: ignore[untyped-decorator]
    def grading_result(self, request: Any, suffix: str = "") -> Response:
        """The grader's signed report for one submission (see ``signature``)."""
        if request.method != "POST":
            return Response(status=405, allow=["POST"])
        try:
            self._grading.accept_callback(
                self._settings.callback_secret, request.body, request.headers, self._publish_score
            )
        except SabaqBlockError as error:
            return _json_error(error)
        return Response(json.dumps({"accepted": True}), content_type="application/json",
                        charset="utf8")

    # ---- staff handlers ------------------------------------------------------------

    @XBlock.json_handler  # type: ignore[untyped-decorator]
    def learner_report(self, data: Any, suffix: str = "") -> dict[str, Any]:
        """Staff only: every learner's submissions to this unit, with full reports on request."""
        self._require_staff()
        return self._grading.report(data.get("learner_id") if isinstance(data, dict) else None)

    @XBlock.json_handler  # type: ignore[untyped-decorator]
    def regrade(self, data: Any, suffix: str = "") -> dict[str, Any]:
        """Staff only: grade ``submission_id`` again (it does not use an attempt)."""
        self._require_staff()
        try:
            sub = self._grading.regrade(
                str((data or {}).get("submission_id", "")), self.notebook, self._callback_url(),
                dict(self.data_files),
            )
        except SabaqBlockError as error:
            raise _fail(error) from error
        return {"submission_id": sub.id, "state": "queued"}

    @XBlock.json_handler  # type: ignore[untyped-decorator]
    def studio_submit(self, data: Any, suffix: str = "") -> dict[str, Any]:
        """Studio: save settings and, optionally, a new instructor notebook."""
        from .studio import save_studio

        self._require_staff()
        try:
            return save_studio(self, data)
        except SabaqBlockError as error:
            raise _fail(error) from error

    # ---- workbench -----------------------------------------------------------------

    @staticmethod
    def workbench_scenarios() -> list[tuple[str, str]]:
        from .scenarios import workbench_scenarios

        return workbench_scenarios()
