"""Structured logs follow one submission from the block's queue through the worker to its score.

The block's real lifecycle (on the embedded broker) queues a submission; the real grade task
function grades it in-process, as a worker would, in the real sandbox; the block records the
start and the report its callbacks carry and publishes the score. Every JSON line names the same
submission and run.
"""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path
from typing import Any

import notebooks

from sabaq_contract import logs
from sabaq_contract import settings as deployment
from sabaq_xblock import limits, notebook
from sabaq_xblock.assignments import Assignment
from sabaq_xblock.backend import CeleryBackend
from sabaq_xblock.lifecycle import Lifecycle
from sabaq_xblock.submissions import Submission, SubmissionStore

ASSIGNMENT = Assignment(json.dumps(notebooks.instructor()), {}, {"max_cells": 100, "max_notebook_bytes": 10**6})
RIGHT = {"add": "def add(a, b):\n    return a + b"}


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_lines_carry_the_submission_from_queued_to_published(tmp_path: Path, db_url: str) -> None:
    from sabaq_grading.worker import tasks

    settings = deployment.load({"DATA_DIR": str(tmp_path / "queue"), "SUBMISSIONS_DB": db_url, "QUEUE_TIMEOUT": "0"},
                               {})
    life = Lifecycle(SubmissionStore(settings.submissions_db), CeleryBackend(settings), settings)
    stream = io.StringIO()
    handler = logs.install(stream)
    published: list[Submission] = []
    try:
        text = limits.serialise(notebook.fill_answers(notebooks.student(), RIGHT))
        sub = life.submit("block-7", "ali", text, "submit", ASSIGNMENT, None, None)
        assert life.reconcile(None, grace=0).requeued == [sub.id]  # a lost first run: run 2
        again = life.store.get(sub.id)
        assert again is not None
        request = life._request(again, ASSIGNMENT, again.task_id)
        life.start(sub.id, again.task_id)  # what the worker's signed "started" callback does
        report = tasks.grade(*request.args(), **request.kwargs())
        assert report["status"] == "graded"
        life.finish(sub.id, again.task_id, report, published.append)
    finally:
        logs.uninstall(handler)
    lines = [line for line in _lines(stream) if line.get("submission_id") == sub.id]
    events = [line["event"] for line in lines]
    assert events == ["queued", "requeued", "started", "received", "graded", "finished", "published"]
    assert [line["run"] for line in lines if "run" in line] == [1, 2, 2, 2]
    assert lines[0]["token"] == sub.task_id and {line["token"] for line in lines[1:]} == {again.task_id}
    assert [line.get("block_id") for line in lines] == ["block-7", "block-7", None, None, None, "block-7", "block-7"]
    assert [line["state"] for line in lines if "state" in line] == [
        "queued", "queued", "running", "graded", "graded"]
    assert {line["logger"] for line in lines} == {"sabaq_xblock.lifecycle", "sabaq_grading.worker.tasks"}
    assert all(line["level"] == "INFO" and line["ts"].endswith("Z") and line["message"] for line in lines)
    assert [p.id for p in published] == [sub.id]


def test_the_formatter_writes_one_object_per_line_with_any_extra_field() -> None:
    stream = io.StringIO()
    handler = logs.install(stream, names=["sabaq_test_logs"])
    log = logging.getLogger("sabaq_test_logs")
    try:
        log.warning("line one\nline two %s", "ü", extra=logs.fields("callback", "s-1", token=None, http_status=0))
        try:
            raise ValueError("boom")
        except ValueError:
            log.exception("failed", extra={"submission_id": "s-2"})
        assert not log.propagate  # written once, not again by the root logger's handlers
    finally:
        logs.uninstall(handler, names=["sabaq_test_logs"])
    assert log.propagate
    raw = stream.getvalue().splitlines()
    assert len(raw) == 2
    first, second = (json.loads(line) for line in raw)
    assert first["message"] == "line one\nline two ü" and first["level"] == "WARNING"
    assert (first["event"], first["submission_id"], first["http_status"]) == ("callback", "s-1", 0)
    assert "token" not in first
    assert second["submission_id"] == "s-2" and "ValueError: boom" in second["exception"]
    assert logs.from_environment({"SABAQ_LOG_FORMAT": "text"}) is None
