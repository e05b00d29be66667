"""Every handler answers bad input with a 4xx and a translated message, and changes no state.

Each bad input goes to each handler through TestRuntime; the block's fields (the whole key-value
store), every table of every database under the data directory (submissions, widget checks,
the embedded broker's queued tasks) are compared before and after. A representative set goes
over HTTP to the real workbench.
"""

from __future__ import annotations

import json
import math
import socket
import uuid
from pathlib import Path
from typing import Any

import helpers
import notebooks
import pytest
from conftest import SECRET, Course
from helpers import send
from servers import Client

from sabaq_contract import signing
from sabaq_xblock import i18n, limits
from sabaq_xblock import notebook as nbmod

DEEP = b"[" * 200_000 + b"]" * 200_000  # a RecursionError inside json.loads
NESTED = b'{"answers": ' + b'{"a": ' * 40 + b'"x"' + b"}" * 40 + b"}"  # parses, too deep to take
HUGE = b'{"answers": {"add": "' + b"x" * (17 * 1024 * 1024) + b'"}}'
BROKEN = b"{broken"
NAN = b'{"submission_id": NaN, "weight": NaN}'
INFINITE = b'{"weight": 1e999, "submission_id": 1e999}'
BIG_INT = b'{"max_attempts": ' + b"9" * 5000 + b"}"
LIST = b"[1, 2]"
STRING = b'"just a string"'
NOT_UTF8 = b'{"answers": "\xff\xfe"}'
SURROGATE = b'{"answers": {"add": "\\ud800"}, "grade_id": "add", "source": "\\udfff"}'

BODIES = {
    "deep": (DEEP, 400, "too_deep", {"limit": 32}),
    "nested": (NESTED, 400, "too_deep", {"limit": 32}),
    "huge": (HUGE, 413, "body_too_large", {"limit_kb": 2048}),
    "broken": (BROKEN, 400, "not_json_body", {}),
    "nan": (NAN, 400, "non_finite", {}),
    "infinite": (INFINITE, 400, "non_finite", {}),
    "big_int": (BIG_INT, 400, "not_json_body", {}),
    "list": (LIST, 400, "not_object", {}),
    "string": (STRING, 400, "not_object", {}),
    "not_utf8": (NOT_UTF8, 400, "not_json_body", {}),
    "surrogate": (SURROGATE, 400, "not_unicode", {}),
}
JSON_HANDLERS = ("submit", "status", "save_draft", "widget_state", "learner_report", "regrade",
                 "studio_submit")


def state(course: Course) -> Any:
    return helpers.state(course.kvs, course.bucket["DATA_DIR"])


def expect(answer: tuple[int, Any, Any], status: int, code: str, **params: Any) -> None:
    got, body, _ = answer
    assert got == status, body
    assert isinstance(body, dict) and body["error"] == i18n.error_message(code, **params), body


@pytest.fixture
def busy(course: Course) -> Course:
    """A course with a stored submission, a draft and a saved widget, so there is state to keep."""
    learner = course.block()
    assert send(learner, "save_draft", json.dumps({"grade_id": "add", "source": "draft"}).encode())[0] == 200
    answers = json.dumps({"answers": {"add": "def add(a, b):\n    return a + b"}}).encode()
    assert send(learner, "submit", answers)[0] == 200
    return course


@pytest.mark.parametrize("handler", JSON_HANDLERS)
@pytest.mark.parametrize("kind", sorted(BODIES))
def test_bad_bodies_to_every_json_handler(busy: Course, handler: str, kind: str) -> None:
    body, status, code, params = BODIES[kind]
    if kind == "huge" and handler == "studio_submit":  # it takes an instructor notebook
        params = {"limit_kb": 16 * 1024}
    before = state(busy)
    for staff in (False, True):
        block = busy.block("staff1" if staff else "learner1", staff=staff)
        expect(send(block, handler, body), status, code, **params)
    assert state(busy) == before


@pytest.mark.parametrize("handler", JSON_HANDLERS)
def test_json_handlers_answer_only_post(busy: Course, handler: str) -> None:
    before = state(busy)
    code, body, response = send(busy.block(), handler, method="GET")
    assert code == 405 and response.allow == ("POST",)
    assert body["error"] == i18n.error_message("bad_method", methods="POST")
    assert state(busy) == before


@pytest.mark.parametrize(("handler", "data", "status", "code", "params"), [
    ("status", {"submission_id": ["x"]}, 400, "bad_submission_id", {}),
    ("status", {"submission_id": 7}, 400, "bad_submission_id", {}),
    ("status", {"submission_id": "nope"}, 404, "no_submission", {}),
    ("submit", {"answers": ["def add(a, b): pass"]}, 400, "bad_answers", {}),
    ("submit", {"answers": {"add": 3}}, 400, "bad_answers", {}),
    ("submit", {"answers": {"nope": "x"}}, 400, "unknown_cell", {}),
    ("save_draft", {"grade_id": ["add"], "source": "x"}, 400, "bad_answers", {}),
    ("save_draft", {"grade_id": "add", "source": {"x": 1}}, 400, "bad_answers", {}),
    ("save_draft", {"grade_id": "nope", "source": "x"}, 400, "unknown_cell", {}),
])
def test_wrong_types_for_learner_handlers(busy: Course, handler: str, data: Any, status: int,
                                          code: str, params: dict[str, Any]) -> None:
    before = state(busy)
    expect(send(busy.block(), handler, json.dumps(data).encode()), status, code, **params)
    assert state(busy) == before


@pytest.mark.parametrize(("handler", "data", "code"), [
    ("regrade", {"submission_id": ["a", "b"]}, "bad_submission_id"),
    ("regrade", {"submission_id": 12}, "bad_submission_id"),
    ("regrade", {"submission_id": ""}, "bad_submission_id"),
    ("regrade", {}, "bad_submission_id"),
    ("learner_report", {"learner_id": 5}, "bad_learner_id"),
    ("learner_report", {"learner_id": {"$ne": ""}}, "bad_learner_id"),
])
def test_wrong_types_for_staff_handlers(busy: Course, handler: str, data: Any, code: str) -> None:
    before = state(busy)
    expect(send(busy.block("staff1", staff=True), handler, json.dumps(data).encode()), 400, code)
    assert state(busy) == before


@pytest.mark.parametrize("body", [b"[]", b'"a string"', b"[1, 2, 3]"])
def test_regrade_with_a_list_or_a_string_body(busy: Course, body: bytes) -> None:
    before = state(busy)
    expect(send(busy.block("staff1", staff=True), "regrade", body), 400, "not_object")
    assert state(busy) == before


STUDIO_BAD = [
    ({"weight": "inf"}, "bad_weight", {}),
    ({"weight": "nan"}, "bad_weight", {}),
    ({"weight": "Infinity"}, "bad_weight", {}),
    ({"weight": -1}, "bad_weight", {}),
    ({"weight": 1001}, "bad_weight", {}),
    ({"weight": True}, "bad_weight", {}),
    ({"weight": [1]}, "bad_weight", {}),
    ({"weight": "1e999"}, "bad_weight", {}),
    ({"max_attempts": 1.5}, "bad_max_attempts", {"max": 1000}),
    ({"max_attempts": True}, "bad_max_attempts", {"max": 1000}),
    ({"max_attempts": "1.5"}, "bad_max_attempts", {"max": 1000}),
    ({"max_attempts": "true"}, "bad_max_attempts", {"max": 1000}),
    ({"max_attempts": -1}, "bad_max_attempts", {"max": 1000}),
    ({"max_attempts": 1001}, "bad_max_attempts", {"max": 1000}),
    ({"max_attempts": None}, "bad_max_attempts", {"max": 1000}),
    ({"display_name": 5}, "bad_display_name", {}),
    ({"display_name": "x" * 201}, "bad_display_name", {}),
    ({"feedback_policy": "everything"}, "bad_feedback_policy", {}),
    ({"feedback_policy": ["full"]}, "bad_feedback_policy", {}),
    ({"max_cells": 0}, "bad_max_cells", {"max": 5000}),
    ({"max_cells": 5001}, "bad_max_cells", {"max": 5000}),
    ({"max_cells": 2.5}, "bad_max_cells", {"max": 5000}),
    ({"max_notebook_kb": 0}, "bad_max_notebook_kb", {"max": 5120}),
    ({"max_notebook_kb": 999_999}, "bad_max_notebook_kb", {"max": 5120}),
    ({"score": 100}, "unknown_setting", {"name": "score"}),
    ({"notebook": 5}, "bad_notebook_field", {}),
    ({"notebook": {"cells": []}}, "bad_notebook_field", {}),
    ({"weight": 2, "max_attempts": 1.5}, "bad_max_attempts", {"max": 1000}),
    ({"display_name": "New", "weight": "inf"}, "bad_weight", {}),
]


@pytest.mark.parametrize(("data", "code", "params"), STUDIO_BAD)
def test_studio_refuses_bad_settings_and_changes_nothing(busy: Course, data: dict[str, Any], code: str,
                                                         params: dict[str, Any]) -> None:
    before = state(busy)
    expect(send(busy.block("staff1", staff=True), "studio_submit", json.dumps(data).encode()),
           400, code, **params)
    assert state(busy) == before
    block = busy.block()
    assert (block.weight, block.max_attempts, block.display_name) == (1.0, 0, "Adding")


def test_studio_refuses_limits_the_assignment_itself_breaks(busy: Course) -> None:
    own = nbmod.load(busy.block().student_notebook)
    kb = math.ceil(len(limits.serialise(own).encode("utf-8")) / 1024)
    before = state(busy)
    for data in ({"max_cells": len(own["cells"]) - 1}, {"max_notebook_kb": kb - 1}):
        expect(send(busy.block("staff1", staff=True), "studio_submit", json.dumps(data).encode()),
               400, "limit_below_assignment", cells=len(own["cells"]), kb=kb)
    assert state(busy) == before
    ok = json.dumps({"max_cells": len(own["cells"]), "max_notebook_kb": kb}).encode()
    assert send(busy.block("staff1", staff=True), "studio_submit", ok)[0] == 200


@pytest.mark.parametrize("notebook", ["not json", "[" * 50_000 + "]" * 50_000, '{"cells": NaN}'])
def test_studio_refuses_an_unreadable_notebook(busy: Course, notebook: str) -> None:
    before = state(busy)
    body = json.dumps({"notebook": notebook, "weight": 3}).encode()
    expect(send(busy.block("staff1", staff=True), "studio_submit", body), 400, "not_json")
    assert state(busy) == before


def test_studio_takes_the_forms_text_values(course: Course) -> None:
    form = {"display_name": " Adding ", "weight": "2.5", "max_attempts": "3", "feedback_policy": "tests",
            "max_notebook_kb": "100", "max_cells": "50"}
    code, body, _ = send(course.block("staff1", staff=True), "studio_submit", json.dumps(form).encode())
    assert code == 200, body
    block = course.block()
    assert (block.display_name, block.weight, block.max_attempts, block.feedback_policy,
            block.max_notebook_kb, block.max_cells) == ("Adding", 2.5, 3, "tests", 100, 50)


def _signed(body: bytes) -> dict[str, str]:
    return signing.sign(SECRET, body)


def _callback(submission_id: Any, report: Any) -> bytes:
    return json.dumps({"submission_id": submission_id, "report": report}).encode()


def _report(**changes: Any) -> dict[str, Any]:
    return {"schema_version": 1, "status": "graded", "score": 3.0, "max_score": 3.0, "tests": [],
            **changes}


def test_grading_result_refuses_bad_callbacks(busy: Course) -> None:
    sid = send(busy.block(), "status", b"{}")[1]["submission_id"]
    anon = busy.block("anonymous")
    cases: list[tuple[bytes, int, str, dict[str, Any]]] = [
        (_callback(sid, _report(score="3")), 400, "bad_report", {}),
        (_callback(sid, _report(score=None)), 400, "bad_report", {}),
        (_callback(sid, _report(score=True)), 400, "bad_report", {}),
        (_callback(sid, _report(score=[3])), 400, "bad_report", {}),
        (_callback(sid, _report(score=-1)), 400, "bad_report", {}),
        (_callback(sid, _report(score=4.0)), 400, "bad_report", {}),
        (_callback(sid, _report(max_score="3")), 400, "bad_report", {}),
        (_callback(sid, _report(status="excellent")), 400, "bad_report", {}),
        (_callback(sid, _report(tests="all passed")), 400, "bad_report", {}),
        (_callback(sid, _report(tests=[1, 2])), 400, "bad_report", {}),
        (_callback(sid, _report(status="error", error="boom")), 400, "bad_report", {}),
        (_callback(sid, [1]), 400, "bad_report", {}),
        (_callback(sid, "graded"), 400, "bad_report", {}),
        (_callback(["x"], _report()), 400, "bad_callback", {}),
        (_callback(None, _report()), 400, "bad_callback", {}),
        (b"[1]", 400, "bad_callback", {}),
        (_callback(sid, _report()).replace(b"3.0,", b"NaN,", 1), 400, "non_finite", {}),
        (_callback(sid, _report()).replace(b"3.0,", b"1e999,", 1), 400, "non_finite", {}),
        (b"{broken", 400, "not_json_body", {}),
        (DEEP, 400, "too_deep", {"limit": 32}),
        (b"{" + b" " * (16 * 1024 * 1024) + b"}", 413, "body_too_large", {"limit_kb": 16384}),
    ]
    before = state(busy)
    for body, status, code, params in cases:
        expect(send(anon, "grading_result", body, headers=_signed(body)), status, code, **params)
    expect(send(anon, "grading_result", method="GET"), 405, "bad_method", methods="POST")
    expect(send(anon, "grading_result", _callback(sid, _report())), 403, "signature_missing")
    assert state(busy) == before
    good = _callback(sid, _report())
    assert send(anon, "grading_result", good, headers=_signed(good))[0] == 200


def test_upload_refuses_bad_files(busy: Course) -> None:
    def multipart(content: bytes, field: str = "notebook") -> tuple[bytes, dict[str, str]]:
        boundary = "sabaqboundary"
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; "
                f"filename=\"x.ipynb\"\r\nContent-Type: application/json\r\n\r\n").encode()
        body += content + f"\r\n--{boundary}--\r\n".encode()
        return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}

    block = busy.block("learner2")
    before = state(busy)
    for content, code in ((b"{not json", "not_json"), (DEEP, "not_json"), (b"[]", "no_cells"),
                          (b'{"cells": [], "nbformat": 3}', "not_v4"),
                          (b'{"cells": [{"cell_type": "evil"}], "nbformat": 4}', "bad_cell"),
                          (b'{"cells": [{"cell_type": "code", "source": 1}], "nbformat": 4}', "bad_structure"),
                          (b'{"cells": [], "nbformat": NaN}', "not_json"),
                          (b'{"cells": [], "nbformat": 4, "metadata": {"\\ud83d": 1}}', "not_json")):
        body, headers = multipart(content)
        params = {"where": "cells[0].source"} if code == "bad_structure" else {}
        expect(send(block, "upload", body, headers=headers), 400, code, **params)
    body, headers = multipart(b"{}", field="other")
    expect(send(block, "upload", body, headers=headers), 400, "no_file")
    expect(send(block, "upload", b'{"notebook": "x"}'), 400, "no_file")
    expect(send(block, "upload", method="GET"), 405, "bad_method", methods="POST")
    assert state(busy) == before


def test_a_malformed_notebook_imported_with_a_course_is_a_notice_not_a_server_error(tmp_path: Path) -> None:
    """OLX import takes a unit's notebooks as they are (Studio's checks never saw them): the
    learner's page says what is wrong with it, in the page's language, instead of failing."""
    student = notebooks.student()
    student["cells"][0]["outputs"] = "not a list"
    olx = (f"<sabaq_notebook display_name='Imported'><student_notebook><![CDATA[{json.dumps(student)}]]>"
           "</student_notebook></sabaq_notebook>")
    html = Course(tmp_path, olx).block().render("student_view").body_html()
    assert i18n.error_message("bad_structure", where="cells[0].outputs") in html


def test_download_unknown_handlers_and_widget_module(busy: Course) -> None:
    block = busy.block()
    before = state(busy)
    expect(send(block, "download", DEEP), 405, "bad_method", methods="GET, HEAD")
    for name in ("nope", "save", "_queue", "__init__", "fields", "student_view"):
        for method in ("GET", "POST"):
            expect(send(block, name, DEEP, method=method), 404, "unknown_handler")
    for suffix in ("../../etc/passwd.js", "nope.js", "multiple_choice.py", ""):
        assert send(block, "widget_module", suffix=suffix)[0] == 404
    assert state(busy) == before
    assert send(block, "download", method="GET")[0] == 200


def test_messages_follow_the_language(busy: Course) -> None:
    urdu = i18n.error_message("not_object", "ur")
    assert urdu != i18n.error_message("not_object", "en") and "JSON" in urdu
    assert i18n.error_message("too_many_cells", "ur", cells=10000, limit=1000).count("10000") == 1


@pytest.mark.slow
def test_bad_input_over_http(live: dict[str, Any]) -> None:
    learner = Client(live["base"], f"bad-{uuid.uuid4().hex[:8]}")
    usage = learner.usage_id(live["scenario"])
    staff = Client(live["base"], "staff-bad-input")
    staff.usage_id(live["scenario"])

    def submissions() -> Any:
        return staff.post(usage, "learner_report", {"learner_id": learner.student})[1]["submissions"]

    for handler in ("submit", "status", "save_draft", "widget_state"):
        for body, status, code in ((DEEP, 400, "too_deep"), (b"[]", 400, "not_object"),
                                   (b'{"a": NaN}', 400, "non_finite"), (b"{broken", 400, "not_json_body")):
            got, data = learner.post(usage, handler, body=body)
            params = {"limit": 32} if code == "too_deep" else {}
            assert (got, data) == (status, {"error": i18n.error_message(code, **params)}), handler
    got, data = learner.post(usage, "submit", body=b'{"answers": {"add": "' + b"x" * (3 << 20) + b'"}}')
    assert got == 413 and data["error"]
    for handler, body in (("regrade", b"[]"), ("regrade", b'"x"'), ("learner_report", b'{"learner_id": 5}'),
                          ("studio_submit", b'{"max_attempts": 1.5}'), ("studio_submit", b'{"weight": "inf"}'),
                          ("studio_submit", b'{"max_attempts": true}')):
        got, data = staff.post(usage, handler, body=body)
        assert got == 400 and data["error"], (handler, body, data)
    got, data = learner.post(usage, "no_such_handler", {})
    assert got == 404 and data == {"error": i18n.error_message("unknown_handler")}
    bad = json.dumps({"submission_id": "x", "report": _report(score="lots")}).encode()
    got, data = learner.post(usage, "grading_result", body=bad, unauth=True,
                             headers=signing.sign("workbench-callback-secret", bad))
    assert got == 400 and data == {"error": i18n.error_message("bad_report")}
    got, data = learner.post(usage, "submit", body=b"[]", headers={"Accept-Language": "ur"})
    assert got == 400 and data == {"error": i18n.error_message("not_object", "ur")}
    assert learner.post(usage, "status", {})[1]["state"] == "none"
    assert submissions() == []
    _, page = staff.post(usage, "studio_submit", {"weight": "2"})
    assert page == {"saved": ["weight"]}
    assert staff.post(usage, "studio_submit", {"weight": 1})[0] == 200


@pytest.mark.parametrize("handler", ["status", "submit", "learner_report"])
def test_an_unreachable_store_is_a_503_the_page_tries_again(busy: Course, handler: str) -> None:
    """The submissions database down (restarting, failing over): 503 with Retry-After and a
    translated message, not a 500; nothing is stored anywhere meanwhile."""
    before = state(busy)
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    busy.bucket["SUBMISSIONS_DB"] = f"postgresql+psycopg://postgres@127.0.0.1:{port}/test?connect_timeout=2"
    try:
        data = {"answers": {"add": "def add(a, b):\n    return a + b"}} if handler == "submit" else {}
        block = busy.block("staff1", staff=True) if handler == "learner_report" else busy.block()
        got, body, response = send(block, handler, json.dumps(data).encode())
    finally:
        del busy.bucket["SUBMISSIONS_DB"]
    assert got == 503 and response.headers["Retry-After"] == "5", body
    assert body["error"] == i18n.error_message("store_down")
    assert state(busy) == before
