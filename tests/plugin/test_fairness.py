"""Fairness: the lecturer's size and cell limits, the learner's rate limit and pending cap.

A submission over a limit is refused at the handler before anything is stored; the limits
travel with the task and the worker refuses, before running anything, a submission over them.
"""

from __future__ import annotations

import base64
import json
import math
import uuid
from pathlib import Path
from typing import Any

import helpers
import notebooks
import pytest
import sqlalchemy as sa
from conftest import SECRET, Course, Runtime
from helpers import send
from servers import Client

from sabaq_contract import signing
from sabaq_xblock import i18n, limits
from sabaq_xblock import notebook as nbmod

RIGHT = "def add(a, b):\n    return a + b"


def state(course: Course) -> Any:
    return helpers.state(course.kvs, course.bucket["DATA_DIR"])


def _answers(source: str = RIGHT) -> bytes:
    return json.dumps({"answers": {"add": source}}).encode()


def _multipart(content: bytes) -> tuple[bytes, dict[str, str]]:
    boundary = "sabaqfairness"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"notebook\"; "
            f"filename=\"mine.ipynb\"\r\nContent-Type: application/json\r\n\r\n").encode()
    return body + content + f"\r\n--{boundary}--\r\n".encode(), {
        "Content-Type": f"multipart/form-data; boundary={boundary}"}


def _many_cells(count: int) -> bytes:
    nb = nbmod.fill_answers(notebooks.student(), {"add": RIGHT})
    nb["cells"] += [{"cell_type": "code", "metadata": {}, "source": "pass", "outputs": [],
                     "execution_count": None} for _ in range(count)]
    return json.dumps(nb).encode()


def _graded(course: Course, submission_id: str) -> None:
    body = json.dumps({"submission_id": submission_id, "report": {
        "status": "graded", "score": 3.0, "max_score": 3.0, "tests": []}}).encode()
    assert send(course.block("anonymous"), "grading_result", body,
                headers=signing.sign(SECRET, body))[0] == 200


def _queued_tasks(data_dir: str) -> list[dict[str, Any]]:
    """The kwargs of every ``sabaq.grade`` message waiting in the embedded broker."""
    engine = sa.create_engine(f"sqlite:///{Path(data_dir) / 'broker.sqlite'}")
    with engine.connect() as conn:
        payloads = [row[0] for row in conn.execute(sa.text("SELECT payload FROM kombu_message"))]
    engine.dispose()
    tasks = []
    for payload in map(json.loads, payloads):
        body = payload["body"]
        if payload["properties"].get("body_encoding") == "base64":
            body = base64.b64decode(body)
        _args, kwargs, _embed = json.loads(body)
        tasks.append(kwargs)
    return tasks


def test_a_10000_cell_upload_is_refused_before_anything_is_stored(course: Course) -> None:
    before = state(course)
    body, headers = _multipart(_many_cells(10_000))
    code, data, _ = send(course.block(), "upload", body, headers=headers)
    cells = len(notebooks.student()["cells"]) + 10_000
    assert code == 413 and data == {"error": i18n.error_message(
        "too_many_cells", cells=cells, limit=limits.DEFAULT_MAX_CELLS)}
    assert state(course) == before


def test_an_upload_over_the_size_limit_is_refused_before_it_is_read(course: Course) -> None:
    own = nbmod.load(course.block().student_notebook)
    kb = math.ceil(len(limits.serialise(own).encode("utf-8")) / 1024) + 4
    staff = course.block("staff1", staff=True)
    assert send(staff, "studio_submit", json.dumps({"max_notebook_kb": kb}).encode())[0] == 200
    before = state(course)
    learner = course.block()
    refusal = {"error": i18n.error_message("notebook_too_large", limit_kb=kb)}
    # Not even JSON: the size alone refuses it, before it is parsed.
    body, headers = _multipart(b"{" * (kb * 1024 + 1))
    assert send(learner, "upload", body, headers=headers)[:2] == (413, refusal)
    big = _multipart(b" " * (6 * 1024 * 1024))
    assert send(learner, "upload", big[0], headers=big[1])[:2] == (413, refusal)
    assert send(learner, "submit", _answers("# " + "x" * (kb * 1024)))[:2] == (413, refusal)
    assert state(course) == before
    code, data, _ = send(learner, "submit", _answers())
    assert code == 200 and data["state"] == "queued"


def test_the_limits_travel_with_the_task(course: Course) -> None:
    staff = course.block("staff1", staff=True)
    assert send(staff, "studio_submit", json.dumps({"max_cells": "40", "max_notebook_kb": "512"}).encode())[0] == 200
    assert send(course.block(), "submit", _answers())[0] == 200
    body, headers = _multipart(_many_cells(10))
    assert send(course.block("learner2"), "upload", body, headers=headers)[0] == 200
    kwargs = _queued_tasks(course.bucket["DATA_DIR"])
    assert [k["limits"] for k in kwargs] == [{"max_notebook_bytes": 512 * 1024, "max_cells": 40}] * 2


def test_the_worker_refuses_a_submission_over_the_limits_before_running_it() -> None:
    from sabaq_grading.worker import tasks

    instructor = json.dumps(notebooks.instructor())
    submission = _many_cells(5).decode()
    graders = list(tasks._GRADER)
    cells = len(json.loads(submission)["cells"])
    report = tasks.grade(instructor, submission, name="s1", limits={"max_notebook_bytes": 10**7,
                                                                    "max_cells": cells - 1})
    assert report["status"] == "error" and report["error"]["kind"] == "too_large"
    assert f"{cells} cells" in report["error"]["message"] and report["submission"] == "s1"
    report = tasks.grade(instructor, submission, limits={"max_notebook_bytes": 100, "max_cells": 10**4})
    assert report["error"]["kind"] == "too_large" and "bytes" in report["error"]["message"]
    assert graders == tasks._GRADER  # no engine, no sandbox was started for either
    assert tasks.over_limits(submission, {"max_notebook_bytes": 10**7, "max_cells": cells}) is None
    assert tasks.over_limits(submission, None) is None


def test_the_engine_refuses_too_many_cells_before_it_starts_a_sandbox() -> None:
    from sabaq_grading.engine import Assignment, Grader, GradingSettings

    grader = Grader(GradingSettings(max_cells=6))
    assignment = Assignment.from_notebook(notebooks.instructor())
    report = grader.grade(assignment, json.loads(_many_cells(1)))
    assert report["status"] == "error" and report["error"]["kind"] == "too_large"
    assert "7 cells" in report["error"]["message"]
    assert not grader.sandboxes.started()  # no sandbox was started for it
    assert GradingSettings().max_cells < 10_000


def test_a_learner_is_rate_limited_across_submissions(tmp_path: Path) -> None:
    course = Course(tmp_path, notebooks.olx())
    course.bucket.update(SUBMIT_RATE_LIMIT="2", SUBMIT_RATE_WINDOW="60")
    for _ in range(2):
        code, data, _ = send(course.block(), "submit", _answers())
        assert code == 200
        _graded(course, data["submission_id"])
    before = state(course)
    code, data, response = send(course.block(), "submit", _answers())
    seconds = int(response.headers["Retry-After"])
    assert code == 429 and 1 <= seconds <= 60
    assert data == {"error": i18n.error_message("rate_limited", seconds=seconds)}
    body, headers = _multipart(_many_cells(0))
    assert send(course.block(), "upload", body, headers=headers)[0] == 429
    assert state(course) == before
    assert send(course.block("learner2"), "submit", _answers())[0] == 200


def test_one_learner_holds_at_most_the_pending_cap_across_blocks(tmp_path: Path) -> None:
    course = Course(tmp_path, notebooks.olx())
    author = Runtime("author", True, course.bucket, course.kvs, course.ids)
    usages = [course.usage_id, *(author.parse_xml_string(course.olx) for _ in range(2))]

    def block_at(usage: Any, user: str = "learner1") -> Any:
        course.usage_id = usage
        return course.block(user)

    assert send(block_at(usages[0]), "submit", _answers())[0] == 200
    assert send(block_at(usages[1]), "submit", _answers())[0] == 200
    before = state(course)
    code, data, _ = send(block_at(usages[2]), "submit", _answers())
    assert code == 409 and data == {"error": i18n.error_message("too_many_pending", limit=2)}
    assert state(course) == before
    assert send(block_at(usages[2], "learner2"), "submit", _answers())[0] == 200


@pytest.mark.slow
def test_a_10000_cell_upload_is_refused_over_http(live: dict[str, Any]) -> None:
    learner = Client(live["base"], f"huge-{uuid.uuid4().hex[:8]}")
    usage = learner.usage_id(live["scenario"])
    body, headers = _multipart(_many_cells(10_000))
    status, data = learner.post(usage, "upload", body=body, headers=headers)
    cells = len(notebooks.student()["cells"]) + 10_000
    assert status == 413 and data == {"error": i18n.error_message(
        "too_many_cells", cells=cells, limit=limits.DEFAULT_MAX_CELLS)}
    staff = Client(live["base"], "staff-fairness")
    staff.usage_id(live["scenario"])
    _, report = staff.post(usage, "learner_report", {"learner_id": learner.student})
    assert report["submissions"] == []
