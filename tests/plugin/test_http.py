"""HTTP tests against a real workbench server and a real Celery grading worker."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import notebooks
import pytest
from servers import SECRET, Client

from sabaq_contract import signing

pytestmark = pytest.mark.slow

RIGHT = "def add(a, b):\n    return a + b"
WRONG = "def add(a, b):\n    return a - b"


def _client(live: dict[str, Any], name: str | None = None) -> tuple[Client, str]:
    client = Client(live["base"], name or f"learner-{uuid.uuid4().hex[:8]}")
    return client, client.usage_id(live["scenario"])


def test_page_has_no_instructor_material(live: dict[str, Any]) -> None:
    client, _ = _client(live)
    page = client.page(live["scenario"])
    assert "sabaq-notebook" in page
    for secret in ("SOLUTION-MARK", "HIDDEN-MARK", "SECRET-EXPLANATION", "__sabaq_xss = 3"):
        assert secret not in page


def test_submit_is_graded_by_the_worker(live: dict[str, Any]) -> None:
    client, usage = _client(live)
    status, data = client.post(usage, "submit", {"answers": {"add": RIGHT}})
    assert status == 200 and data["state"] == "queued"
    final = client.wait_final(usage, data["submission_id"])
    assert final["state"] == "graded", final
    assert final["score"] == final["max_score"] == 3.0
    assert {t["grade_id"] for t in final["feedback"]} == {"test-add", "test-add-2"}
    assert "HIDDEN-MARK" not in json.dumps(final)
    assert final["attempts_used"] == 1
    from sabaq_xblock.submissions import SubmissionStore

    row = SubmissionStore(f"sqlite:///{live['root'] / 'sabaq' / 'submissions.sqlite'}").get(data["submission_id"])
    assert row is not None and row.started is not None, "the worker's started callback was not recorded"
    assert row.leased is not None and row.leased <= row.started <= row.updated
    assert (row.runs, row.published) == (1, True)


def test_wrong_answer_gets_feedback(live: dict[str, Any]) -> None:
    client, usage = _client(live)
    _, data = client.post(usage, "submit", {"answers": {"add": WRONG}})
    final = client.wait_final(usage, data["submission_id"])
    assert final["state"] == "graded" and final["score"] < final["max_score"]
    failed = [t for t in final["feedback"] if not t["passed"]]
    assert failed and all(("message" in t) != t["hidden"] for t in failed)


def test_data_files_travel_with_the_submission(live: dict[str, Any]) -> None:
    client = Client(live["base"], f"files-{uuid.uuid4().hex[:8]}")
    usage = client.usage_id(live["files"])
    _, data = client.post(usage, "submit", {"answers": {
        "shifted": "def shifted(x):\n    return x + OFFSET"}})
    final = client.wait_final(usage, data["submission_id"])
    assert final["state"] == "graded" and final["score"] == final["max_score"] == 1.0, final


def test_upload_of_a_notebook(live: dict[str, Any]) -> None:
    client, usage = _client(live)
    from sabaq_xblock import notebook as nbmod

    nb = nbmod.fill_answers(notebooks.student(), {"add": RIGHT})
    boundary = "sabaqboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"notebook\"; "
            f"filename=\"mine.ipynb\"\r\nContent-Type: application/json\r\n\r\n"
            f"{json.dumps(nb)}\r\n--{boundary}--\r\n").encode()
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    status, data = client.post(usage, "upload", body=body, headers=headers)
    assert status == 200 and data["state"] == "queued", data
    assert client.wait_final(usage, data["submission_id"])["score"] == 3.0
    bad = body.replace(json.dumps(nb).encode(), b"{not json")
    status, data = client.post(usage, "upload", body=bad, headers=headers)
    assert status == 400 and data["error"]


def test_a_submission_that_cannot_be_graded_reports_why(live: dict[str, Any]) -> None:
    client, usage = _client(live)
    other = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {}, "source": "x = 1", "outputs": [],
         "execution_count": None}]}
    boundary = "sabaqboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"notebook\"; "
            f"filename=\"other.ipynb\"\r\n\r\n{json.dumps(other)}\r\n--{boundary}--\r\n").encode()
    status, data = client.post(usage, "upload", body=body,
                               headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert status == 200
    final = client.wait_final(usage, data["submission_id"])
    assert final["state"] == "error" and final["error"]["kind"] == "wrong_assignment"
    assert final["error"]["message"] and final["score"] is None
    assert final["attempts_used"] == 0


def test_bad_input_and_permissions(live: dict[str, Any]) -> None:
    client, usage = _client(live)
    assert client.post(usage, "submit", body=b"{broken")[0] == 400
    assert client.post(usage, "submit", {"answers": {"nope": "x"}})[0] == 400
    assert client.post(usage, "learner_report", {})[0] == 403
    assert client.post(usage, "regrade", {"submission_id": "x"})[0] == 403
    assert client.post(usage, "studio_submit", {"weight": 9})[0] == 403
    assert client.post(usage, "status", {})[1]["state"] == "none"


def test_callback_signature_over_http(live: dict[str, Any]) -> None:
    client, usage = _client(live)
    body = json.dumps({"submission_id": "nope", "report": {}}).encode()
    assert client.post(usage, "grading_result", body=body, unauth=True)[0] == 403
    forged = signing.sign("not-the-secret", body)
    assert client.post(usage, "grading_result", body=body, headers=forged, unauth=True)[0] == 403
    stale = signing.sign(SECRET, body, int(time.time()) - 3600)
    assert client.post(usage, "grading_result", body=body, headers=stale, unauth=True)[0] == 409


def test_a_body_over_the_web_frameworks_own_limit_is_413_not_a_broken_request(live: dict[str, Any]) -> None:
    """A callback under the block's 16 MiB limit but over Django's (the workbench's 2.5 MB) is refused
    as too large, the block's own error, not as an unreadable request."""
    client, usage = _client(live)
    status, answer = client.post(usage, "grading_result", body=b" " * (3 * 1024 * 1024), unauth=True)
    assert status == 413 and "too large" in json.dumps(answer), answer


def test_staff_report_and_regrade(live: dict[str, Any]) -> None:
    learner, usage = _client(live)
    _, data = learner.post(usage, "submit", {"answers": {"add": RIGHT}})
    learner.wait_final(usage, data["submission_id"])
    staff = Client(live["base"], "staff-ta")
    assert staff.usage_id(live["scenario"]) == usage
    status, report = staff.post(usage, "learner_report", {"learner_id": learner.student})
    assert status == 200 and report["submissions"][0]["state"] == "graded"
    status, again = staff.post(usage, "regrade", {"submission_id": data["submission_id"]})
    assert status == 200 and again["state"] == "queued"
    final = learner.wait_final(usage, again["submission_id"])
    assert final["state"] == "graded" and final["attempts_used"] == 1


def _engine_validates() -> bool:
    import sabaq_grading.validate as validate

    return hasattr(validate, "validate_notebook")


@pytest.mark.skipif(not _engine_validates(), reason="sabaq_grading.validate.validate_notebook "
                    "has not landed yet")
def test_studio_replaces_the_notebook_through_the_workers(live: dict[str, Any]) -> None:
    staff = Client(live["base"], "staff-author")
    usage = staff.usage_id(live["studio"])
    unsound = notebooks.instructor()
    unsound["cells"][4]["source"] = "assert add(1, 2) == 4"  # the reference fails its own test
    status, data = staff.post(usage, "studio_submit", {"notebook": json.dumps(unsound)})
    assert status == 400 and data["problems"], data
    sound = notebooks.instructor()
    sound["cells"][0]["source"] = "# Adding, revised"
    status, data = staff.post(usage, "studio_submit", {"notebook": json.dumps(sound),
                                                       "display_name": "Revised"})
    assert status == 200 and "student_notebook" in data["saved"], data
    page = Client(live["base"], "learner-after-studio").page(live["studio"])
    assert "Adding, revised" in page and "SOLUTION-MARK" not in page
