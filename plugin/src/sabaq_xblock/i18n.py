"""Interface strings in English and Urdu, through gettext.

Catalogs live in ``translations/<lang>/LC_MESSAGES/text.{po,mo}``, the layout
Open edX's XBlock i18n service looks for. Outside the LMS (workbench, tests)
the block uses :func:`translator` with the active Django language, if any.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

DOMAIN = "text"
LOCALE_DIR = Path(__file__).parent / "translations"
LANGUAGES = ("en", "ur")
RTL_LANGUAGES = ("ur", "ar", "fa", "he", "ps", "sd", "ug", "yi", "ckb", "dv")


def _(message: str) -> str:
    """Mark ``message`` for extraction; translated later with :func:`translator`."""
    return message


# Messages for error codes raised by the logic modules (see errors.py).
ERROR_MESSAGES = {
    "too_large": _("The notebook is too large."),
    "not_json": _("The file is not a notebook (it is not valid JSON)."),
    "no_cells": _("The notebook has no cells."),
    "not_v4": _("Only notebooks in format version 4 can be used."),
    "bad_cell": _("The notebook has a cell of an unknown type."),
    "bad_structure": _("The notebook does not follow the nbformat 4 schema at {where}: open and save it "
                       "again in Jupyter."),
    "no_file": _("Choose a notebook file (.ipynb) to upload."),
    "bad_answers": _("The answers must map answer cells to text."),
    "unknown_cell": _("The answers name a cell that is not in this assignment."),
    "no_answers": _("Write at least one answer before submitting."),
    "no_attempts": _("You have no attempts left."),
    "already_grading": _("Your previous submission is still being graded."),
    "not_staff": _("Only course staff can do this."),
    "no_submission": _("There is no such submission."),
    "no_notebook": _("This unit has no notebook yet."),
    "backend_down": _("The grading service cannot be reached. Try again in a minute."),
    "store_down": _("Submissions cannot be read or saved right now. Try again in a minute."),
    "signature_missing": _("The callback is not signed."),
    "signature_bad": _("The callback signature does not match."),
    "callback_disabled": _("Callbacks are not enabled for this block."),
    "callback_stale": _("The callback is too old or too far in the future."),
    "already_final": _("This submission has already been graded."),
    "bad_method": _("This action only accepts {methods} requests."),
    "not_json_body": _("The request is not valid JSON."),
    "not_object": _("The request must be a JSON object."),
    "too_deep": _("The request is nested too deeply (at most {limit} levels)."),
    "non_finite": _("Numbers must be finite: NaN and Infinity are not allowed."),
    "not_unicode": _("The request holds text that is not valid Unicode."),
    "body_too_large": _("The request is too large (at most {limit_kb} KB)."),
    "unreadable_body": _("The request could not be read."),
    "unknown_handler": _("This unit has no such action."),
    "bad_submission_id": _("The submission id must be text."),
    "bad_learner_id": _("The learner id must be text."),
    "bad_callback": _("The callback must name a submission and carry its report."),
    "bad_report": _("The grade report is malformed."),
    "notebook_too_large": _("The notebook is larger than this assignment allows ({limit_kb} KB)."),
    "too_many_cells": _("The notebook has {cells} cells; this assignment allows at most {limit}."),
    "too_many_pending": _("You already have {limit} submissions being graded. Wait for one to finish."),
    "rate_limited": _("You are submitting too often. Try again in {seconds} seconds."),
    "unknown_setting": _("The form has a field this unit does not know: {name}."),
    "bad_display_name": _("The display name must be text of at most 200 characters."),
    "bad_weight": _("The weight must be a number from 0 to 1000."),
    "bad_max_attempts": _("Maximum attempts must be a whole number from 0 to {max}."),
    "bad_feedback_policy": _("Feedback must be one of: full, tests, score."),
    "bad_max_notebook_kb": _("The size limit must be a whole number of kilobytes from 1 to {max}."),
    "bad_max_cells": _("The cell limit must be a whole number from 1 to {max}."),
    "limit_below_assignment": _(
        "The limits must let the assignment's own notebook through ({cells} cells, {kb} KB)."
    ),
    "bad_notebook_field": _("The notebook must be sent as the text of an .ipynb file."),
    "unsound": _("The notebook cannot be used: fix the problems listed."),
    "bad_setting": _("A setting has an invalid value."),
    "bad_widget": _("The widget state is malformed."),
    "unknown_widget": _("There is no such widget in this lesson."),
    "widget_no_attempts": _("You have used all your attempts at this question."),
    "widget_server_owned": _("Attempts and results are kept by the server; the page cannot change them."),
    "widget_busy": _("Too many answers were checked at once. Try again."),
    "not_from_bundle": _("This unit was not made from a module bundle, so there is no newer version of it."),
    "no_trusted_keys": _("No publisher is trusted on this site yet: the operator sets TRUSTED_KEYS."),
    "bad_trusted_key": _("A trusted publisher key of this site cannot be read: the operator fixes TRUSTED_KEYS."),
    "bundle_invalid": _("The file is not a bundle signed by a trusted publisher: see the problem listed."),
    "other_module": _("The bundle holds the module {module}, not this unit's ({ours})."),
    "not_newer": _("Version {version} is not newer than this unit's version ({ours})."),
    "declined_before": _("Version {version} was declined for this unit before."),
    "item_gone": _("Version {version} of the module no longer has this unit's notebook ({item})."),
    "no_offer": _("No newer version is waiting to be accepted or declined."),
    "unknown_catalog": _("That catalog is not one this site reads: the operator lists them in CATALOGS."),
    "bad_offer_request": _("Name the catalog and the version to offer."),
    "other_signer": _("The bundle is signed by key {signer}, not by this module's publisher ({ours})."),
    "offer_changed": _("The version waiting is now {version}: look at what it changes, then choose again."),
    "signer_untrusted": _("The publisher key {signer} is no longer trusted on this site; the offer is withdrawn."),
}

# Manual grading, grade export and import (staff).
ERROR_MESSAGES.update({
    "bad_points": _("Points must be a number from 0 to {max_points}."),
    "bad_comment": _("A comment must be text of at most {limit} characters."),
    "bad_rubric": _("The rubric items must be distinct item numbers of this cell's rubric."),
    "bad_grade_id": _("Name a cell of this submission that a tutor grades."),
    "grade_changed": _(
        "Another tutor ({grader}) saved a grade for this answer meanwhile; look at it, then save again."
    ),
    "not_latest": _("Only a learner's latest graded submission is graded by hand."),
    "no_manual_cells": _("This submission has no cells that a tutor grades."),
    "import_invalid": _("Nothing was imported: {count} problems, listed below."),
    "bad_csv": _("The file is not CSV text in UTF-8."),
    "bad_anonymous_grading": _("Anonymous grading must be on or off."),
    "bad_revision": _("The revision must be a whole number, 0 for a cell not graded yet."),
    "bad_submission_ids": _("Name the submissions as a list of at most {limit} ids."),
})
IMPORT_PROBLEMS = {
    "row": _("Row {row}:"),
    "no_student_id": _("The first row must name the columns, one of them student_id, each once."),
    "unknown_learner": _("no learner {learner} has a graded submission to this unit."),
    "unknown_cell": _("the column {cell} is not a cell of this assignment."),
    "automatic_cell": _("the cell {cell} is graded automatically; its points cannot be imported."),
    "bad_points": _("the points {value} for {cell} are not a number from 0 to {max_points}."),
    "long_comment": _("the comment for {cell} is longer than {limit} characters."),
    "comment_without_points": _("the comment for {cell} has no points beside it."),
    "twice": _("the learner {learner} is in the file more than once."),
    "too_many_values": _("the row has {count} values but the first row names {columns} columns."),
    "unreadable": _("the file cannot be read as CSV ({reason})."),
}

DASHBOARD_STRINGS = {
    "chart_title": _("Learners by score, in tenths of the maximum"),
    "band": _("{low}–{high}%"),
    "band_count": _("{band}: {count}"),
}

# Strings the browser shows, sent to the page already translated.
UI_STRINGS = {
    "submit": _("Submit answers"),
    "upload": _("Upload a notebook"),
    "download": _("Download the notebook"),
    "queued": _("Queued: waiting for a grader."),
    "running": _("Running your code and the tests."),
    "graded": _("Graded."),
    "error": _("Your submission could not be graded."),
    "score": _("Score: {score} of {max_score}"),
    "attempts": _("Attempts used: {used} of {max}"),
    "attempts_unlimited": _("Attempts used: {used}"),
    "passed": _("passed"),
    "failed": _("failed"),
    "hidden_test": _("hidden test"),
    "points": _("{points} of {max_points} points"),
    "draft_saved": _("Draft saved."),
    "answer_label": _("Your answer"),
    "feedback": _("Feedback"),
    "network_error": _("The server could not be reached."),
    "saved": _("Saved."),
    "correct": _("Correct."),
    "incorrect": _("Not correct yet."),
    "staff_report": _("Learner submissions (staff)"),
    "learner": _("Learner"),
    "state": _("State"),
    "submitted": _("Submitted"),
    "graded_version": _("module version {version}"),
    "regrade": _("Grade again"),
    "queue_title": _("Grading queue for this unit"),
    "queue_states": _("Submissions by state"),
    "queue_pending": _("Waiting or being graded"),
    "queue_pending_value": _("{pending} ({queued} queued, {running} running)"),
    "queue_oldest": _("Oldest waiting"),
    "queue_age_seconds": _("{seconds} s"),
    "queue_age_minutes": _("{minutes} min"),
    "queue_age_hours": _("{hours} h"),
    "queue_nothing_waiting": _("nothing is waiting"),
    "queue_failures": _("Not graded in the last hour"),
    "queue_dead": _("Given up after every retry"),
    "queue_unpublished": _("Scores not yet in the gradebook"),
    "state_queued": _("queued"),
    "state_running": _("running"),
    "state_graded": _("graded"),
    "state_error": _("not graded"),
    "kind_invalid_notebook": _("invalid notebook"),
    "kind_unsupported_metadata": _("unsupported metadata"),
    "kind_wrong_assignment": _("wrong assignment"),
    "kind_too_large": _("too large"),
    "kind_sandbox_unavailable": _("sandbox unavailable"),
    "kind_tampering": _("tampering"),
    "kind_grader_failure": _("grader failure"),
    "kind_timeout": _("time limit"),
    # Accessibility: the code editor's keys, scrollable regions, undescribed figures.
    "editor_keys": _("Tab indents once you have typed here. To leave the editor, press Escape, then Tab."),
    "scroll_code": _("Code (scrolls sideways)"),
    "scroll_output": _("Output (scrolls sideways)"),
    "scroll_math": _("Formula (scrolls sideways)"),
    "grading_busy": _("Submit is off while your answers are graded; the status below says when it is done."),
    "figure_titled_axes": _("Figure: {title}, {y} against {x}."),
    "figure_titled": _("Figure: {title}."),
    "figure_axes": _("Figure: {y} against {x}."),
    "figure_undescribed": _("A figure drawn by the lesson's code; its author gave it no description."),
}

# The staff grading panel and dashboard, sent with the other browser strings.
STAFF_STRINGS = {
    "grading_title": _("Grade written answers"),
    "grading_none": _("Nothing is waiting for a tutor."),
    "grading_waiting": _("{count} submissions wait for a tutor."),
    "grading_of": _("Submission {label}"),
    "grading_answer": _("The learner's answer"),
    "grading_model": _("Model answer"),
    "grading_rubric": _("Rubric"),
    "grading_points": _("Points (at most {max_points})"),
    "grading_comment": _("Comment for the learner"),
    "grading_save": _("Save grade"),
    "grading_saved": _("Grade saved."),
    "grading_next": _("Next submission"),
    "grading_previous": _("Previous submission"),
    "grading_keys": _("Keys: Ctrl+Enter saves, Alt+N goes to the next submission, Alt+P to the previous one."),
    "grading_anonymous": _("Anonymous: learners' names are hidden and the order is shuffled."),
    "grading_complete": _("Every cell is graded: the learner's score is now {score} of {max_score}."),
    "grading_automatic": _("Graded automatically: {score} points."),
    "grading_by": _("last saved by {grader}"),
    "dashboard_title": _("How the cohort is doing"),
    "dashboard_learners": _("Learners who submitted"),
    "dashboard_waiting_tutor": _("Waiting for a tutor"),
    "dashboard_median": _("Median score"),
    "dashboard_grading_time": _("Grading time (median, 95th percentile)"),
    "dashboard_tests": _("Tests, hardest first"),
    "dashboard_test": _("Test"),
    "dashboard_pass_rate": _("Passed"),
    "dashboard_errors": _("Most common errors"),
    "dashboard_stuck": _("Learners stuck on an error"),
    "dashboard_not_submitted": _("Not submitted yet"),
    "dashboard_regrade_selected": _("Grade the selected submissions again"),
    "dashboard_regrade_failed": _("Select every learner who failed this test"),
    "dashboard_regraded": _("{count} submissions queued for grading again."),
    "export_csv": _("Download grades (CSV)"),
    "import_csv": _("Import manual grades (CSV)"),
    "imported": _("{count} grades imported."),
    "manual_waiting": _("Waiting for your tutor to grade the written answers. Automatic part: {score} of {max_score}."),
    "manual_comment": _("Your tutor's comment on {cell}"),
    "manual_points": _("{cell}: {points} of {max_points} points from your tutor"),
}

STUDIO_STRINGS = {
    "notebook": _("Instructor notebook (.ipynb)"),
    "save": _("Save"),
    "cancel": _("Cancel"),
    "upgrade": _("A newer version of the shared module (.sabaq)"),
    "check_upgrade": _("Check the bundle"),
    "offered": _("Version {version} is offered. What it changes:"),
    "accept": _("Accept this version"),
    "decline": _("Decline this version"),
    "accepted": _("Version {version} is in place. Learners' work and your settings are kept."),
    "declined": _("Version {version} was declined; it will not be offered again."),
    "no_changes": _("Nothing in this unit's notebook changes."),
    "available": _("Version {version} is in the catalog {catalog}."),
    "check_available": _("Check it"),
}

# Practice runs: the learner's code and the visible tests, run but never graded.
ERROR_MESSAGES.update({
    "practice_rate_limited": _("You are running your code too often. Try again in {seconds} seconds."),
    "practice_unavailable": _("Your code cannot be run right now. Try again in a moment."),
})
UI_STRINGS.update({
    "practice_run": _("Run"),
    "practice_run_help": _("Runs your code and the visible tests now. It is not graded and uses no attempt."),
    "practice_title": _("Practice run — not graded"),
    "practice_running": _("Running your code and the visible tests…"),
    "practice_summary": _("{passed} of {total} visible tests passed."),
    "practice_no_tests": _("Your code ran; this assignment has no visible tests."),
    "practice_note": _("Hidden tests do not run here and nothing is recorded. Submit your answers to be graded."),
    "practice_stopped": _("The run stopped early: {message}"),
    "practice_answer": _("Your code ({cell})"),
    "practice_test": _("Test {cell}"),
    "practice_no_output": _("No output."),
})


@lru_cache(maxsize=8)
def _catalog(language: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[language], fallback=True)


def active_language() -> str:
    """The request's language when Django is configured, else English."""
    try:
        from django.conf import settings

        if settings.configured:
            from django.utils import translation

            return (translation.get_language() or "en").split("-")[0]
    except Exception:  # no Django in this process
        pass
    return "en"


def translator(language: str | None = None) -> Callable[[str], str]:
    """A gettext function for ``language`` (default: the active language)."""
    return _catalog(language or active_language()).gettext


def direction(language: str) -> str:
    """``rtl`` or ``ltr`` for ``language``."""
    return "rtl" if language.split("-")[0] in RTL_LANGUAGES else "ltr"


def ui_strings(language: str) -> dict[str, str]:
    """Every browser-side string, translated into ``language``."""
    gettext_ = translator(language)
    return {key: gettext_(text) for key, text in {**UI_STRINGS, **STAFF_STRINGS}.items()}


def error_message(code: str, language: str | None = None, **params: object) -> str:
    """The translated message for an error ``code``, its ``{placeholders}`` filled from ``params``."""
    text = translator(language)(ERROR_MESSAGES.get(code, code))
    try:
        return text.format(**params) if params else text
    except (KeyError, IndexError, ValueError):  # a translation that lost a placeholder
        return text
