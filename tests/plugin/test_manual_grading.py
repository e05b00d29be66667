"""Grading written answers by hand, against the session's real grading worker: the learner waits
for the tutor, the score is published once when every manual cell is graded, regrading keeps the
tutors' grades, two tutors never overwrite each other, grades go out and come in as CSV, and the
cohort dashboard shows how the cohort is doing."""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from pathlib import Path
from typing import Any

import notebooks
import pytest
from conftest import Course
from helpers import send, state

from sabaq_xblock import i18n

pytestmark = pytest.mark.services

RIGHT = "def add(a, b):\n    return a + b"
WRITTEN = "Both sums are 5: addition is *commutative*. <script>window.__x=1</script>"
STAFF_HANDLERS = ("manual_queue", "marking_sheet", "save_manual_grade", "grades_import", "cohort_dashboard",
                  "regrade_many")


@pytest.fixture()
def unit(live: dict[str, Any]) -> Course:
    """A unit with a written answer, in the live session's store (its worker grades for real)."""
    return Course(Path(live["root"]) / "sabaq", notebooks.essay_olx(), unique=True)  # the store is shared


def _json(block: Any, handler: str, data: Any) -> tuple[int, Any]:
    code, body, _ = send(block, handler, json.dumps(data).encode())
    return code, body


def _submit(unit: Course, learner: str, answers: dict[str, str]) -> str:
    code, body = _json(unit.block(learner), "submit", {"answers": answers})
    assert code == 200, body
    return str(body["submission_id"])


def _reconcile(block: Any, published: list[Any]) -> None:
    """One pass of the unit's reconciler, which goes over the whole shared store: what it
    publishes of this unit lands in ``published``; another test's leftovers (a regrade nobody
    waited for) are let go."""
    mine = block._grading.block_id
    block._grading.lifecycle.reconcile(lambda sub: published.append(sub) if sub.block_id == mine else None,
                                       grace=0.0)


def _graded(unit: Course, learner: str, submission_id: str, published: list[Any]) -> dict[str, Any]:
    """Wait for the worker's grade; the unit's own reconciler finishes it and publishes through
    ``published`` (the callback goes to the session's workbench, not to this in-memory unit)."""
    deadline = time.monotonic() + 180
    block = unit.block(learner)
    while time.monotonic() < deadline:
        _reconcile(block, published)
        status: dict[str, Any] = _json(unit.block(learner), "status", {"submission_id": submission_id})[1]
        if status["state"] in ("graded", "error"):
            assert status["state"] == "graded", status
            return status
        time.sleep(0.3)
    raise AssertionError(f"not graded in time: {status}")


def _staff(unit: Course, name: str = "tutor1") -> Any:
    return unit.block(name, staff=True)


def _events(unit: Course, learner: str) -> list[dict[str, Any]]:
    """Every grade event published for ``learner``, through any user's runtime."""
    return [event for user, runtime in unit.every_runtime for kind, event in runtime.published
            if kind == "grade" and str(event.get("user_id", user)) == learner]


def test_a_written_answer_waits_for_the_tutor_then_the_whole_score_is_published_once(unit: Course) -> None:
    sub_id = _submit(unit, "amna", {"add": RIGHT, "explain": WRITTEN})
    published: list[Any] = []
    status = _graded(unit, "amna", sub_id, published)
    assert (status["score"], status["max_score"]) == (1.0, 4.0)
    assert status["manual"] == {"state": "waiting", "automatic": 1.0}
    assert published == [] and _events(unit, "amna") == []  # nothing leaves the block yet
    assert unit.block("amna").get_score().raw_earned == 0.0  # nor when the LMS rescores

    queue = _json(_staff(unit), "manual_queue", {})[1]
    assert queue["anonymous"] is True and queue["waiting"] == 1
    [item] = queue["items"]
    assert item["submission_id"] == sub_id and item["label"] != "amna" and "amna" not in json.dumps(queue)

    sheet = _json(_staff(unit), "marking_sheet", {"submission_id": sub_id})[1]
    [cell] = sheet["cells"]
    assert (cell["grade_id"], cell["max_points"], cell["grade"]) == ("explain", 3.0, None)
    assert "<em>commutative</em>" in cell["answer_html"] and "<script" not in cell["answer_html"]
    assert "commutative" in cell["model_html"] and "BEGIN SOLUTION" not in cell["model_html"]
    assert cell["rubric"] == [{"points": 2.0, "description": notebooks.RUBRIC[0]["description"]},
                              {"points": 1.0, "description": notebooks.RUBRIC[1]["description"]}]

    grade = {"submission_id": sub_id, "grade_id": "explain", "points": 3, "comment": "Well argued.",
             "rubric": [0, 1], "revision": 0}
    code, saved = _json(_staff(unit), "save_manual_grade", grade)
    assert code == 200, saved
    assert (saved["manual"], saved["score"], saved["max_score"]) == ("graded", 4.0, 4.0)
    assert saved["grade"]["revision"] == 1 and saved["grade"]["grader"] == "tutor1"
    assert [e["value"] for e in _events(unit, "amna")] == [4.0]  # published once, whole
    _reconcile(unit.block("amna"), published)
    assert published == []  # and the reconciler finds nothing left to publish

    status = _json(unit.block("amna"), "status", {})[1]
    assert status["score"] == 4.0 and unit.block("amna").get_score().raw_earned == 4.0
    assert status["manual"]["cells"] == [{"grade_id": "explain", "max_points": 3.0, "points": 3.0,
                                          "comment": "Well argued."}]

    # a comment-only edit changes no score and publishes nothing; a correction is published again
    code, edited = _json(_staff(unit), "save_manual_grade", {**grade, "comment": "Well argued!", "revision": 1})
    assert code == 200 and edited["score"] == 4.0
    assert [e["value"] for e in _events(unit, "amna")] == [4.0]
    code, corrected = _json(_staff(unit), "save_manual_grade", {**grade, "points": 2, "revision": 2})
    assert code == 200 and corrected["score"] == 3.0
    assert [e["value"] for e in _events(unit, "amna")] == [4.0, 3.0]


def test_regrading_keeps_the_tutors_grades_and_a_changed_answer_is_graded_afresh(unit: Course) -> None:
    sub_id = _submit(unit, "bilal", {"add": RIGHT, "explain": WRITTEN})
    published: list[Any] = []
    _graded(unit, "bilal", sub_id, published)
    grade = {"submission_id": sub_id, "grade_id": "explain", "points": 2, "comment": "ok", "rubric": [0],
             "revision": 0}
    assert _json(_staff(unit), "save_manual_grade", grade)[0] == 200
    code, again = _json(_staff(unit), "regrade", {"submission_id": sub_id})
    assert code == 200, again
    status = _graded(unit, "bilal", again["submission_id"], published)
    assert status["score"] == 3.0 and status["manual"]["state"] == "graded"  # 1 automatic + 2 kept
    assert [sub.score for sub in published] == [3.0]
    # the old submission is no longer the one a tutor grades
    assert _json(_staff(unit), "save_manual_grade", {**grade, "revision": 1})[0] == 409

    changed = _submit(unit, "bilal", {"add": RIGHT, "explain": "Because 2 + 3 is 3 + 2."})
    status = _graded(unit, "bilal", changed, published)
    assert status["manual"] == {"state": "waiting", "automatic": 1.0}


def test_two_tutors_never_overwrite_each_other_and_the_score_is_published_once(unit: Course) -> None:
    sub_id = _submit(unit, "chen", {"add": RIGHT, "explain": WRITTEN})
    published: list[Any] = []
    _graded(unit, "chen", sub_id, published)
    answers: list[tuple[int, Any]] = []
    barrier = threading.Barrier(6)

    def grade(n: int) -> None:
        tutor = _staff(unit, f"tutor{n}")
        barrier.wait()
        answers.append(_json(tutor, "save_manual_grade", {
            "submission_id": sub_id, "grade_id": "explain", "points": n % 4, "comment": f"by {n}",
            "rubric": [], "revision": 0}))

    threads = [threading.Thread(target=grade, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    codes = sorted(code for code, _ in answers)
    assert codes == [200, 409, 409, 409, 409, 409], answers
    [winner] = [body for code, body in answers if code == 200]
    refused = [body for code, body in answers if code == 409]
    assert all(body["error"] == i18n.error_message("grade_changed", grader=winner["grade"]["grader"])
               for body in refused)
    sheet = _json(_staff(unit), "marking_sheet", {"submission_id": sub_id})[1]
    assert sheet["cells"][0]["grade"]["comment"] == winner["grade"]["comment"]
    assert [e["value"] for e in _events(unit, "chen")] == [winner["score"]]


def test_bad_grades_and_non_staff_are_refused_and_change_nothing(unit: Course) -> None:
    sub_id = _submit(unit, "dina", {"add": RIGHT, "explain": WRITTEN})
    _graded(unit, "dina", sub_id, [])
    before = state(unit.kvs, unit.bucket["DATA_DIR"])
    good = {"submission_id": sub_id, "grade_id": "explain", "points": 1, "comment": "", "rubric": [],
            "revision": 0}
    cases = [
        ({"points": 3.5}, 400, "bad_points", {"max_points": "3"}),
        ({"points": -1}, 400, "bad_points", {"max_points": "3"}),
        ({"points": True}, 400, "bad_points", {"max_points": "3"}),
        ({"points": "2"}, 400, "bad_points", {"max_points": "3"}),
        ({"rubric": [2]}, 400, "bad_rubric", {}),
        ({"rubric": [0, 0]}, 400, "bad_rubric", {}),
        ({"comment": "x" * 10_001}, 400, "bad_comment", {"limit": 10_000}),
        ({"grade_id": "test-add"}, 400, "bad_grade_id", {}),
        ({"grade_id": "nope"}, 400, "bad_grade_id", {}),
        ({"revision": -1}, 400, "bad_revision", {}),
        ({"revision": 7}, 400, "bad_revision", {}),  # a revision of a grade nobody gave
        ({"revision": 2**63}, 400, "bad_revision", {}),
        ({"points": 10**400}, 400, "bad_points", {"max_points": "3"}),
        ({"grade_id": ["explain"]}, 400, "bad_grade_id", {}),
        ({"submission_id": "0" * 32}, 404, "no_submission", {}),
        ({"submission_id": 5}, 400, "bad_submission_id", {}),
    ]
    for change, status, code, params in cases:
        got, body = _json(_staff(unit), "save_manual_grade", {**good, **change})
        assert (got, body["error"]) == (status, i18n.error_message(code, **params)), change
    for name in STAFF_HANDLERS:  # a learner calls every staff handler, with a valid body
        got, body = _json(unit.block("dina"), name, {**good, "submission_ids": [sub_id]})
        assert (got, body["error"]) == (403, i18n.error_message("not_staff")), name
    got, _, _ = send(unit.block("dina"), "grades_csv", method="GET")
    assert got == 403
    assert state(unit.kvs, unit.bucket["DATA_DIR"]) == before


def _csv(unit: Course) -> list[dict[str, str]]:
    code, body, response = send(_staff(unit), "grades_csv", method="GET")
    assert code == 200 and response.content_type == "text/csv", body
    return list(csv.DictReader(io.StringIO(response.text)))


def _import(unit: Course, rows: list[list[str]]) -> tuple[int, Any]:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    code, body, _ = send(_staff(unit), "grades_import", out.getvalue().encode())
    return code, body


def test_grades_go_out_in_nbgraders_columns_and_manual_grades_come_back_all_or_nothing(unit: Course) -> None:
    published: list[Any] = []
    ids = {name: _submit(unit, name, {"add": RIGHT, "explain": f"{name}: {WRITTEN}"}) for name in ("eda", "faiz")}
    ids["gul"] = _submit(unit, "gul", {"add": "def add(a, b):\n    return a - b"})  # written answer left blank
    for name, sub_id in ids.items():
        _graded(unit, name, sub_id, published)
    rows = _csv(unit)
    assert list(rows[0])[:11] == ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name",
                                  "email", "raw_score", "late_submission_penalty", "score", "max_score"]
    by = {row["student_id"]: row for row in rows}
    assert set(by) == {"eda", "faiz", "gul"}
    assert (by["eda"]["score"], by["eda"]["max_score"], by["eda"]["test-add"], by["eda"]["explain"]) == (
        "1", "4", "1", "")  # the written answer waits for its tutor
    assert (by["gul"]["score"], by["gul"]["test-add"], by["gul"]["explain"]) == ("0", "0", "0")  # nbgrader: 0

    before = state(unit.kvs, unit.bucket["DATA_DIR"])
    header = ["student_id", "explain", "explain comment", "test-add"]
    code, body = _import(unit, [header, ["eda", "2", "good", "1"], ["nobody", "1", "", ""],
                                ["faiz", "9", "", ""], ["eda", "1", "", ""], ["gul", "1", "", ""]])
    assert code == 400, body
    assert body["error"] == i18n.error_message("import_invalid", count=4)
    assert [p.split(":")[0] for p in body["problems"]] == ["Row 3", "Row 4", "Row 5", "Row 6"]
    assert "nobody" in body["problems"][0] and "9" in body["problems"][1] and "eda" in body["problems"][2]
    code, body = _import(unit, [["student_id", "explanation"], ["eda", "2"]])
    assert code == 400 and "explanation" in body["problems"][0]
    code, body = _import(unit, [["student_id", "test-add"], ["eda", "0"]])  # its score is 1: not ours to set
    assert code == 400 and "test-add" in body["problems"][0]
    code, body = _import(unit, [["student_id", "explain comment"], ["eda", "no points"]])
    assert code == 400 and "explain" in body["problems"][0]
    code, body, _ = send(_staff(unit), "grades_import", b"\xff\xfe not utf-8")
    assert (code, body["error"]) == (400, i18n.error_message("bad_csv"))
    assert state(unit.kvs, unit.bucket["DATA_DIR"]) == before  # nothing imported

    code, body = _import(unit, [["student_id", "explain", "explain comment"], ["eda", "1", "5", "Nice work"]])
    assert code == 400 and "4 values" in body["problems"][0], body  # "1,5" written with a decimal comma
    code, body, _ = send(_staff(unit), "grades_import", b'student_id,explain\neda,"2\n')  # cut inside a quote
    assert code == 400 and body["problems"], body
    assert state(unit.kvs, unit.bucket["DATA_DIR"]) == before  # still nothing imported

    code, body = _import(unit, [header, ["eda", "2", "=HYPERLINK(\"x\")", "1"], ["faiz", "3", "- units?", ""]])
    assert (code, body) == (200, {"imported": 2, "unchanged": 0})
    exported = _csv(unit)
    by = {row["student_id"]: row for row in exported}
    assert (by["eda"]["score"], by["eda"]["explain"], by["faiz"]["score"]) == ("3", "2", "4")
    assert by["eda"]["explain comment"] == "'=HYPERLINK(\"x\")"  # a spreadsheet will not run it
    assert sorted(e["value"] for name in ("eda", "faiz") for e in _events(unit, name)) == [3.0, 4.0]
    # the export read back changes nothing (the guard is undone); a file without comments keeps them
    assert _import(unit, [list(exported[0])] + [list(row.values()) for row in exported]) == (
        200, {"imported": 0, "unchanged": 2})
    assert _import(unit, [["student_id", "explain"], ["faiz", "2.5"]]) == (200, {"imported": 1, "unchanged": 0})
    sheet = _json(_staff(unit), "marking_sheet", {"submission_id": ids["faiz"]})[1]
    assert (sheet["cells"][0]["grade"]["points"], sheet["cells"][0]["grade"]["comment"]) == (2.5, "- units?")


def test_the_cohort_dashboard_shows_states_scores_tests_and_errors_and_regrades_a_selection(unit: Course) -> None:
    published: list[Any] = []
    ids = {"hana": _submit(unit, "hana", {"add": RIGHT, "explain": WRITTEN}),
           "imran": _submit(unit, "imran", {"add": "def add(a, b):\n    return a - b"}),
           "javed": _submit(unit, "javed", {"add": "def add(a, b):\n    return a * b"})}
    for name, sub_id in ids.items():
        _graded(unit, name, sub_id, published)
    code, board = _json(_staff(unit), "cohort_dashboard", {})
    assert code == 200, board
    assert board["learners"] == 3 and board["states"]["graded"] == 3 and board["waiting_for_tutor"] == 1
    assert sum(board["scores"]["histogram"]) == 2 and board["scores"]["max_score"] == 4.0  # hana waits
    [test] = board["tests"]
    assert (test["grade_id"], test["passed"], test["total"]) == ("test-add", 1, 3)
    assert board["errors"][0] == {"where": "test:test-add", "message": "AssertionError", "count": 2}
    assert board["grading_ms"]["median"] is not None and board["not_submitted"] is None  # no enrolment here
    assert board["chart"].startswith("<svg xmlns=") and 'role="img"' in board["chart"]
    assert "<script" not in board["chart"]

    code, body = _json(_staff(unit), "regrade_many", {"submission_ids": [ids["imran"], ids["javed"]]})
    assert code == 200 and len(body["queued"]) == 2 and body["skipped"] == [], body
    code, body = _json(_staff(unit), "regrade_many", {"submission_ids": [ids["imran"]]})
    assert code == 200 and body == {"queued": [], "skipped": [ids["imran"]]}  # still being graded
    for bad in ([], "x", [5], ["0" * 32]):
        code, body = _json(_staff(unit), "regrade_many", {"submission_ids": bad})
        assert code in (400, 404), bad


def test_sabaq_report_shows_the_same_dashboard_for_a_course_export_or_a_store(unit: Course, tmp_path: Path) -> None:
    import subprocess
    import sys

    from sabaq_contract import settings as deployment

    published: list[Any] = []
    for name, code in (("kiran", RIGHT), ("laila", "def add(a, b):\n    return 0")):
        _graded(unit, name, _submit(unit, name, {"add": code, "explain": WRITTEN}), published)
    block_id = str(unit.usage_id)
    url = deployment.load(unit.bucket).submissions_db
    board = _json(_staff(unit), "cohort_dashboard", {})[1]
    export = tmp_path / "export"
    (export / "sabaq_notebook").mkdir(parents=True)
    (export / "sabaq_notebook" / f"{block_id}.xml").write_text(notebooks.essay_olx("Sums, explained"), "utf-8")

    def report(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "sabaq_grading.cli", "report", "--store", url, *args],
                              capture_output=True, text=True, timeout=120, check=False)

    done = report("--course", str(export), "--json", "--html", str(tmp_path / "r.html"), "--csv", str(tmp_path / "c"))
    assert done.returncode == 0, done.stderr
    [(name, figures)] = json.loads(done.stdout).items()
    assert name == "Sums, explained"
    for key in ("learners", "states", "waiting_for_tutor", "scores", "tests", "errors"):
        assert figures[key] == board[key], key
    assert "reading 1/1: Sums, explained" in done.stderr  # progress on stderr
    assert 'class="sabaq-chart"' in (tmp_path / "r.html").read_text("utf-8")
    [written] = (tmp_path / "c").iterdir()
    assert {row["student_id"] for row in csv.DictReader(io.StringIO(written.read_text("utf-8")))} == {"kiran", "laila"}
    shown = report("--block", block_id)
    assert shown.returncode == 0 and "test-add: 1/2 passed (50%)" in shown.stdout, shown.stdout
    for missing in (f"sqlite:///{tmp_path}/missing/x.sqlite", "postgresql+psycopg://postgres@127.0.0.1:1/test"):
        broken = subprocess.run([sys.executable, "-m", "sabaq_grading.cli", "report", "--store", missing],
                                capture_output=True, text=True, timeout=60, check=False)
        assert broken.returncode == 3 and "cannot be read" in broken.stderr, broken.stderr
    assert not (tmp_path / "missing").exists()  # a report makes no store


def test_the_tutor_grades_what_the_grader_graded_whatever_the_notebooks_metadata(unit: Course) -> None:
    """An editor that drops cell metadata, a decoy cell with the answer's grade id, text that looks
    like the renderer's own placeholders: the sheet shows, and the grade belongs to, the answer the
    grader matched (as nbgrader matches it), never another cell's text."""
    published: list[Any] = []
    student = json.loads(unit.block("mina").student_notebook)

    def upload(cells: list[dict[str, Any]]) -> str:
        nb = {**student, "cells": cells}
        body = (b"--b\r\nContent-Disposition: form-data; name=\"notebook\"; filename=\"n.ipynb\"\r\n"
                b"Content-Type: application/json\r\n\r\n" + json.dumps(nb).encode() + b"\r\n--b--\r\n")
        code, answer, _ = send(unit.block("mina"), "upload", body,
                               headers={"Content-Type": "multipart/form-data; boundary=b"})
        assert code == 200, answer
        return str(answer["submission_id"])

    def stripped(cells: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
        out = [dict(c) for c in cells]
        out[1] = {**out[1], "source": RIGHT}
        out[3] = {"cell_type": "markdown", "metadata": {}, "source": text}  # metadata lost
        return out

    first = upload(stripped(student["cells"], "It is commutative. sabaqmathQ7Q and $a_1$"))
    _graded(unit, "mina", first, published)
    code, sheet = _json(_staff(unit), "marking_sheet", {"submission_id": first})
    assert code == 200, sheet
    assert "It is commutative. sabaqmathQ7Q" in sheet["cells"][0]["answer_html"]
    assert _json(_staff(unit), "save_manual_grade", {"submission_id": first, "grade_id": "explain", "points": 3,
                                                     "comment": "", "rubric": [], "revision": 0})[0] == 200
    again = upload(stripped(student["cells"], "Something else entirely."))
    status = _graded(unit, "mina", again, published)
    assert status["manual"] == {"state": "waiting", "automatic": 1.0}  # a new answer: no grade carried over
    decoy = stripped(student["cells"], "Something else entirely.")
    decoy.insert(3, {"cell_type": "markdown", "source": "BRILLIANT essay",
                     "metadata": {"nbgrader": {"grade_id": "explain", "solution": False}}})
    third = upload(decoy)
    _graded(unit, "mina", third, published)
    sheet = _json(_staff(unit), "marking_sheet", {"submission_id": third})[1]
    graded = unit.block("mina")._grading.store.get(third).report["manual"][0]["source"]
    assert graded in sheet["cells"][0]["answer_html"]  # the tutor sees exactly what the grade will belong to
