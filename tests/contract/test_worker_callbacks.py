"""The worker's side of the callbacks: signed with the contract, and a run the block answers
410 (``GONE``) at ``started`` grades nothing."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from sabaq_contract import callbacks, signing
from sabaq_contract import settings as deployment

SECRET = "worker-test-secret"


class Block:
    """An HTTP endpoint that checks signatures and messages as the block does and records them."""

    def __init__(self, answer_started: int) -> None:
        self.answer_started = answer_started
        self.messages: list[callbacks.Callback] = []
        block = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                signing.verify(SECRET, body, self.headers[signing.TIMESTAMP_HEADER],
                               self.headers[signing.SIGNATURE_HEADER])
                message = callbacks.parse(json.loads(body))
                block.messages.append(message)
                self.send_response(block.answer_started if message.event == callbacks.STARTED else 200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/cb"


@pytest.fixture
def gone_block(monkeypatch: pytest.MonkeyPatch) -> Iterator[Block]:
    from sabaq_grading.worker import tasks

    monkeypatch.setattr(tasks, "settings", deployment.load({"CALLBACK_SECRET": SECRET}, {}))
    block = Block(answer_started=callbacks.GONE)
    thread = threading.Thread(target=block.server.serve_forever, daemon=True)
    thread.start()
    yield block
    block.server.shutdown()
    block.server.server_close()


def test_a_run_the_block_no_longer_waits_for_grades_nothing(gone_block: Block) -> None:
    from sabaq_grading.worker import tasks

    graders = list(tasks._GRADER)
    result = tasks.grade("{}", "{}", name="s1", token="old-run", callback={"url": gone_block.url})
    assert [(m.event, m.submission_id, m.token) for m in gone_block.messages] == [
        (callbacks.STARTED, "s1", "old-run")]
    assert result["status"] == "error" and result["error"]["kind"] == "grader_failure"
    assert "superseded" in result["error"]["message"] and result["submission"] == "s1"
    assert graders == tasks._GRADER  # no engine, no sandbox was started


def test_a_run_over_the_limits_reports_both_events(gone_block: Block) -> None:
    from sabaq_grading.worker import tasks

    gone_block.answer_started = 200
    result = tasks.grade("{}", "x" * 100, name="s2", token="run-1", callback={"url": gone_block.url},
                         limits={"max_notebook_bytes": 10, "max_cells": 5})
    assert [(m.event, m.token) for m in gone_block.messages] == [
        (callbacks.STARTED, "run-1"), (callbacks.FINISHED, "run-1")]
    assert gone_block.messages[1].report == result and result["error"]["kind"] == "too_large"
