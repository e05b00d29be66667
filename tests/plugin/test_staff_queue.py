"""The staff view's queue figures for one block, through the block (xblock's TestRuntime)."""

from __future__ import annotations

import json
from typing import Any

import notebooks
from conftest import SECRET, Course
from helpers import call

from sabaq_contract import report as reports
from sabaq_contract import signing
from sabaq_xblock import i18n, views
from sabaq_xblock.assignments import Assignment
from sabaq_xblock.grading import GradingService

GRADED = {"schema_version": 1, "status": "graded", "score": 3.0, "max_score": 3.0, "tests": []}


def _finish(course: Course, submission_id: str, report: dict[str, Any]) -> int:
    body = json.dumps({"submission_id": submission_id, "report": report}).encode()
    status, _ = call(course.block("anonymous"), "grading_result", body=body, headers=signing.sign(SECRET, body))
    return status


def test_staff_see_their_blocks_queue(course: Course) -> None:
    queued = [call(course.block(f"learner{n}"), "submit", {"answers": {"add": "x"}})[1]["submission_id"]
              for n in range(1, 5)]
    assert _finish(course, queued[1], GRADED) == 200
    assert _finish(course, queued[2], reports.error_report("timeout", "a cell ran too long")) == 200
    staff = course.block("staff1", staff=True)
    other = GradingService(staff._settings, "another-block")
    assignment = Assignment(json.dumps(notebooks.instructor()), {}, {})
    other.lifecycle.submit("another-block", "zara", json.dumps(notebooks.student()), "submit", assignment, None, None)

    status, data = call(staff, "learner_report", {})
    assert status == 200
    queue = data["queue"]
    assert queue["block_id"] == str(staff.scope_ids.usage_id)
    assert queue["states"] == {"queued": 2, "running": 0, "graded": 1, "error": 1}  # not the other block's
    assert (queue["pending"], queue["queued"], queue["running"]) == (2, 2, 0)
    assert queue["oldest_waiting_id"] == queued[0] and queue["oldest_waiting_seconds"] >= 0
    assert (queue["failures_last_hour"], queue["failure_kinds"]) == (1, {"timeout": 1})
    assert (queue["dead_letters"], queue["unpublished"]) == (0, 0)
    assert call(course.block("learner9"), "learner_report", {})[0] == 403


def test_the_staff_panel_has_the_queue_in_english_and_urdu(course: Course) -> None:
    page = course.block("staff1", staff=True).render("student_view").body_html()
    assert 'class="sabaq-queue"' in page and "Grading queue for this unit" in page
    assert 'class="sabaq-queue"' not in course.block().render("student_view").body_html()
    urdu = views.student_html("<p>lesson</p>", "ur", "t", True, True)
    assert "اس یونٹ کی جانچ کی قطار" in urdu and 'dir="rtl"' in urdu
    strings = i18n.ui_strings("ur")
    assert strings["queue_pending_value"].format(pending=3, queued=2, running=1) == "3 (2 قطار میں، 1 جاری)"
    for key, english in i18n.UI_STRINGS.items():
        if key.startswith(("queue_", "state_", "kind_")):
            assert strings[key] != english, key
    assert {f"kind_{kind}" for kind in reports.ERROR_KINDS} <= set(i18n.UI_STRINGS)
