"""Block tests through xblock's TestRuntime: fields, OLX, secrecy, handlers, scoring."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

import notebooks
from conftest import SECRET, Course
from helpers import call, init_args
from lxml import etree

from sabaq_contract import signing

SECRETS = ("SOLUTION-MARK", "HIDDEN-MARK", "SECRET-EXPLANATION", "__sabaq_xss = 3", '"key"')


def _report(score: float = 3.0) -> dict[str, Any]:
    return {
        "schema_version": 1, "engine_version": "test", "status": "graded",
        "score": score, "max_score": 3.0, "manual": [], "error": None,
        "timings": {"total_ms": 1.0},
        "tests": [
            {"grade_id": "test-add", "points": 2.0, "max_points": 2.0, "passed": True,
             "hidden": True, "message": "HIDDEN-MESSAGE", "output": "HIDDEN-OUTPUT"},
            {"grade_id": "test-add-2", "points": score - 2, "max_points": 1.0,
             "passed": score == 3.0, "hidden": False, "message": "AssertionError"},
        ],
    }


def _callback(block: Any, submission_id: str, report: dict[str, Any], *,
              secret: str = SECRET, stamp: int | None = None) -> tuple[int, Any]:
    body = json.dumps({"submission_id": submission_id, "report": report}).encode()
    return call(block, "grading_result", body=body, headers=signing.sign(secret, body, stamp))


def test_olx_export_import_export_is_stable(course: Course) -> None:
    block = course.block("author", staff=True)
    first = etree.Element("root")
    block.add_xml_to_node(first)
    text = etree.tostring(first, encoding="unicode")
    assert "<![CDATA[" in text and "instructor_notebook" in text
    again = Course(Path(course.bucket["DATA_DIR"]), text)
    second = etree.Element("root")
    again.block("author", staff=True).add_xml_to_node(second)
    assert etree.tostring(second, encoding="unicode") == text
    assert json.loads(again.block().notebook) == notebooks.instructor()


def test_student_view_never_carries_instructor_material(course: Course) -> None:
    frag = course.block().render("student_view")
    page = frag.body_html() + json.dumps(init_args(frag.body_html()))
    for secret in SECRETS:
        assert secret not in page
    assert 'data-grade-id="add"' in page and page.count("sabaq-cell-test") == 2


def test_widget_load_strips_keys_and_script(course: Course) -> None:
    status, data = call(course.block(), "widget_state", {"action": "load"})
    assert status == 200
    text = json.dumps(data)
    assert "quiz1" in data["models"]
    for secret in SECRETS:
        assert secret not in text


def test_sanitizer_removes_script_from_markdown_and_outputs(course: Course) -> None:
    html = course.block().student_view().body_html()
    assert "<script" not in html and "onerror" not in html
    assert "<b>bold output</b>" in html
    assert 'class="sabaq-math sabaq-math-inline" dir="ltr">a_1 + b_1<' in html


def test_repeat_view_comes_from_the_cache(course: Course) -> None:
    from sabaq_xblock import render

    block = course.block()
    block.render("student_view")
    key = f"{render.RENDERER_VERSION}:" + hashlib.sha256(block.student_notebook.encode()).hexdigest()
    assert render.CACHE.get(key) is not None


def test_bad_answers_are_refused_without_state_change(course: Course) -> None:
    block = course.block()
    for bad in ({}, {"answers": []}, {"answers": {}}, {"answers": {"nope": "x"}},
                {"answers": {"add": 3}}, {"answers": {"add": "x" * (1024 * 1024 + 1)}}):
        status, data = call(block, "submit", bad)
        assert status == 400, bad
        assert data["error"]
    status, data = call(block, "status", {})
    assert data["state"] == "none" and data["attempts_used"] == 0


def test_submit_queues_then_refuses_a_second_submission(course: Course) -> None:
    block = course.block()
    status, data = call(block, "submit", {"answers": {"add": "def add(a, b):\n    return a + b"}})
    assert status == 200 and data["state"] == "queued"
    status, _ = call(block, "submit", {"answers": {"add": "x"}})
    assert status == 409
    status, polled = call(block, "status", {"submission_id": data["submission_id"]})
    assert polled["state"] == "queued" and polled["attempts_used"] == 1


def test_callback_is_authenticated_published_once_and_not_replayable(course: Course) -> None:
    learner = course.block()
    _, queued = call(learner, "submit", {"answers": {"add": "def add(a, b):\n    return a + b"}})
    sid = queued["submission_id"]
    anon = course.block("anonymous")
    body = json.dumps({"submission_id": sid, "report": _report()}).encode()
    assert call(anon, "grading_result", body=body)[0] == 403
    assert _callback(anon, sid, _report(), secret="wrong")[0] == 403
    assert _callback(anon, sid, _report(), stamp=int(time.time()) - 3600)[0] == 409
    assert _callback(anon, sid, _report())[0] == 200
    assert _callback(anon, sid, _report())[0] == 409
    grades = [e for e in course.runtimes["anonymous"].published if e[0] == "grade"]
    assert grades == [("grade", {"value": 3.0, "max_value": 3.0, "only_if_higher": None,
                                 "user_id": "learner1"})]
    _, polled = call(course.block(), "status", {})
    assert polled["state"] == "graded" and polled["score"] == 3.0
    hidden = [f for f in polled["feedback"] if f["hidden"]]
    assert hidden and "HIDDEN" not in json.dumps(polled)
    assert course.block().get_score().raw_earned == 3.0
    again = course.block()
    again.rescore(only_if_higher=True)
    assert course.runtimes["learner1"].published == [
        ("grade", {"value": 3.0, "max_value": 3.0, "only_if_higher": True})]


def test_learners_cannot_see_each_other_or_call_staff_handlers(course: Course) -> None:
    _, queued = call(course.block(), "submit", {"answers": {"add": "mine"}})
    other = course.block("learner2")
    assert call(other, "status", {"submission_id": queued["submission_id"]})[0] == 404
    assert call(other, "status", {})[1]["state"] == "none"
    for handler, data in (("learner_report", {}), ("regrade", {"submission_id": "x"}),
                          ("studio_submit", {"weight": 5})):
        assert call(other, handler, data)[0] == 403
    assert other.weight == 1.0
    staff = course.block("staff1", staff=True)
    status, report = call(staff, "learner_report", {})
    assert status == 200 and [r["learner_id"] for r in report["learners"]] == ["learner1"]
    status, detail = call(staff, "learner_report", {"learner_id": "learner1"})
    assert detail["submissions"][0]["notebook"]["cells"]


def test_attempt_limit(tmp_path: Any) -> None:
    course = Course(tmp_path, notebooks.olx(max_attempts=1))
    block = course.block()
    _, queued = call(block, "submit", {"answers": {"add": "x"}})
    assert _callback(course.block("anonymous"), queued["submission_id"], _report(2.0))[0] == 200
    status, data = call(course.block(), "submit", {"answers": {"add": "y"}})
    assert status == 403 and data["error"]


def test_widget_answers_are_scored_on_the_server(course: Course) -> None:
    block = course.block()
    status, data = call(block, "widget_state", {"action": "save", "model_id": "quiz1",
                                                "state": {"response": {"selected": [1]}}})
    assert status == 200 and data["state"]["result"]["correct"] is True
    for bad in ({"action": "save", "model_id": "quiz1", "state": {"key": {}}},
                {"action": "save", "model_id": "nope", "state": {"attempts": 1}},
                {"action": "save", "model_id": "quiz1", "state": {"response": "x"}},
                {"action": "explode"}):
        assert call(block, "widget_state", bad)[0] == 400, bad
    _, loaded = call(course.block(), "widget_state", {"action": "load"})
    state = loaded["models"]["quiz1"]["state"]
    assert state["response"] == {"selected": [1]} and state["result"]["correct"] is True
    assert call(course.block("learner2"), "widget_state", {"action": "load"})[1][
        "models"]["quiz1"]["state"]["response"] == {}


def test_drafts_are_saved_per_learner(course: Course) -> None:
    assert call(course.block(), "save_draft", {"grade_id": "add", "source": "draft!"})[0] == 200
    assert call(course.block(), "save_draft", {"grade_id": "nope", "source": "x"})[0] == 400
    assert course.block().drafts == {"add": "draft!"}
    assert course.block("learner2").drafts == {}
    assert init_args(course.block().render("student_view").body_html())["drafts"] == {"add": "draft!"}


def test_studio_settings_are_validated(course: Course) -> None:
    staff = course.block("staff1", staff=True)
    assert call(staff, "studio_submit", {"weight": -1})[0] == 400
    assert call(staff, "studio_submit", {"feedback_policy": "everything"})[0] == 400
    assert call(staff, "studio_submit", {"notebook": "not json"})[0] == 400
    status, _ = call(staff, "studio_submit", {"weight": 2, "max_attempts": 3})
    assert status == 200
    block = course.block()
    assert (block.weight, block.max_attempts) == (2.0, 3)


def test_download_and_widget_module_handlers(course: Course) -> None:
    from webob import Request

    block = course.block()
    call(block, "save_draft", {"grade_id": "add", "source": "def add(a, b): return 0"})
    response = block.runtime.handle(block, "download", Request.blank("/"))
    nb = json.loads(response.body)
    assert "attachment" in response.headers["Content-Disposition"]
    assert any(c["source"] == "def add(a, b): return 0" for c in nb["cells"])
    for secret in ("SOLUTION-MARK", "HIDDEN-MARK", "SECRET-EXPLANATION"):
        assert secret not in response.text
    ok = block.runtime.handle(block, "widget_module", Request.blank("/"), "multiple_choice.js")
    assert ok.status_code == 200 and b"export default" in ok.body
    for suffix in ("../../etc/passwd.js", "nope.js", "multiple_choice.py"):
        assert block.runtime.handle(block, "widget_module", Request.blank("/"),
                                    suffix).status_code == 404


def test_a_legacy_units_quiz_source_never_reaches_a_submission(tmp_path: Path) -> None:
    """A student notebook stored before the page version dropped quiz-building code (it states the
    key): a submission's notebook, which learner code can read in the sandbox, never carries it."""
    from sabaq_xblock.submissions import SubmissionStore

    legacy = notebooks.student()
    quiz = next(c for c in legacy["cells"] if c.get("outputs") and "quiz1" in json.dumps(c["outputs"]))
    quiz["source"] = "NumericAnswer('R0?', 2.5)  # the key"
    legacy["metadata"]["widgets"] = notebooks.quiz_state()
    enc = lambda nb: json.dumps(nb).replace("]]>", "]]\\u003e")  # noqa: E731
    unit = Course(tmp_path, '<sabaq_notebook display_name="Old"><instructor_notebook><![CDATA['
                            f'{enc(notebooks.instructor())}]]></instructor_notebook><student_notebook><![CDATA['
                            f'{enc(legacy)}]]></student_notebook></sabaq_notebook>')
    learner = unit.block("ali")
    assert "the key" in learner.student_notebook
    code, body = call(learner, "submit", {"answers": {"add": "def add(a, b):\n    return a + b"}})
    assert code == 200, body
    stored = SubmissionStore(f"sqlite:///{tmp_path}/submissions.sqlite").get(body["submission_id"])
    assert stored is not None and "the key" not in stored.notebook and "2.5" not in stored.notebook


def test_studio_and_author_views_render(course: Course) -> None:
    staff = course.block("staff1", staff=True)
    studio = staff.studio_view().body_html()
    assert 'name="weight"' in studio and 'id="sabaq-studio-notebook"' in studio
    for secret in ("SOLUTION-MARK", "HIDDEN-MARK"):
        assert secret not in studio
    assert "sabaq-answer" in staff.author_view().body_html()


def test_status_only_reads(tmp_path: Path) -> None:
    """The learner's poll neither queues again, nor finishes, nor publishes: even when the
    submission is long overdue, only the grader's callbacks and the reconciler move it."""
    from helpers import state

    course = Course(tmp_path, notebooks.olx())
    course.bucket.update(GRADE_TIMEOUT="0", QUEUE_TIMEOUT="0")
    assert call(course.block(), "submit", {"answers": {"add": "x"}})[0] == 200
    before = state(course.kvs, tmp_path)
    for _ in range(3):
        status, polled = call(course.block(), "status", {})
        assert status == 200 and polled["state"] == "queued" and polled["attempts_used"] == 1
    assert state(course.kvs, tmp_path) == before
    assert course.runtimes["learner1"].published == []


def test_the_started_callback_shows_running(course: Course) -> None:
    from sabaq_contract.callbacks import STARTED, Callback
    from sabaq_xblock.submissions import SubmissionStore

    _, queued = call(course.block(), "submit", {"answers": {"add": "def add(a, b):\n    return a + b"}})
    sid = queued["submission_id"]
    store = SubmissionStore(f"sqlite:///{Path(course.bucket['DATA_DIR']) / 'submissions.sqlite'}")
    token = store.get(sid).task_id  # type: ignore[union-attr]
    anon = course.block("anonymous")
    stale = Callback(STARTED, sid, "not-this-run").body()
    assert call(anon, "grading_result", body=stale, headers=signing.sign(SECRET, stale))[0] == 410
    assert call(course.block(), "status", {})[1]["state"] == "queued"
    body = Callback(STARTED, sid, token).body()
    assert call(anon, "grading_result", body=body, headers=signing.sign(SECRET, body)) == (
        200, {"accepted": True, "event": "started"})
    assert call(course.block(), "status", {})[1]["state"] == "running"
    assert _callback(anon, sid, _report())[0] == 200
    assert call(anon, "grading_result", body=body, headers=signing.sign(SECRET, body))[0] == 410
    assert call(course.block(), "status", {})[1]["state"] == "graded"


def test_data_files_round_trip_through_olx(tmp_path: Path) -> None:
    course = Course(tmp_path, notebooks.reader_olx())
    block = course.block("author", staff=True)
    assert block.data_files == {"offset.txt": "Nwo="}
    node = etree.Element("root")
    block.add_xml_to_node(node)
    text = etree.tostring(node, encoding="unicode")
    assert '<data_file name="offset.txt"><![CDATA[Nwo=]]></data_file>' in text
    again = etree.Element("root")
    Course(tmp_path / "again", text).block("author", staff=True).add_xml_to_node(again)
    assert etree.tostring(again, encoding="unicode") == text
    assert "Nwo=" not in course.block().render("student_view").body_html()
