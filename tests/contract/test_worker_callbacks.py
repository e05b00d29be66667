"""The worker's side of the callbacks: signed with the contract, sent in order by the process's
outbox without the task waiting for the block, and a run the block answers 410 (``GONE``) at
``started`` reports nothing."""

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
        self.open = threading.Event()  # the block answers nothing until it is set
        self.open.set()
        block = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                signing.verify(SECRET, body, self.headers[signing.TIMESTAMP_HEADER],
                               self.headers[signing.SIGNATURE_HEADER])
                message = callbacks.parse(json.loads(body))
                block.open.wait(timeout=60)
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


def test_a_run_the_block_no_longer_waits_for_reports_nothing(gone_block: Block) -> None:
    from sabaq_grading.worker import tasks

    result = tasks.grade("{}", "x" * 100, name="s1", token="old-run", callback={"url": gone_block.url},
                         limits={"max_notebook_bytes": 10})
    assert tasks.OUTBOX.drain(timeout=30)
    assert [(m.event, m.submission_id, m.token) for m in gone_block.messages] == [
        (callbacks.STARTED, "s1", "old-run")]
    assert result["status"] == "error" and result["submission"] == "s1"  # kept in the result backend only


def test_a_task_does_not_wait_for_the_block_to_answer(gone_block: Block) -> None:
    """The block holds every callback; the task still returns, and the outbox delivers both,
    in order, once the block answers."""
    from sabaq_grading.worker import tasks

    gone_block.answer_started = 200
    gone_block.open.clear()
    try:
        results = [tasks.grade("{}", "x" * 100, name=f"s{i}", token=f"run-{i}", callback={"url": gone_block.url},
                               limits={"max_notebook_bytes": 10}) for i in range(3)]
        assert gone_block.messages == []  # nothing was answered while the tasks ran
    finally:
        gone_block.open.set()
    assert tasks.OUTBOX.drain(timeout=30)
    assert [(m.event, m.token) for m in gone_block.messages] == [
        (event, f"run-{i}") for i in range(3) for event in (callbacks.STARTED, callbacks.FINISHED)]
    assert [m.report for m in gone_block.messages[1::2]] == results


def test_a_run_over_the_limits_reports_both_events(gone_block: Block) -> None:
    from sabaq_grading.worker import tasks

    gone_block.answer_started = 200
    result = tasks.grade("{}", "x" * 100, name="s2", token="run-1", callback={"url": gone_block.url},
                         limits={"max_notebook_bytes": 10, "max_cells": 5})
    assert tasks.OUTBOX.drain(timeout=30)
    assert [(m.event, m.token) for m in gone_block.messages] == [
        (callbacks.STARTED, "run-1"), (callbacks.FINISHED, "run-1")]
    assert gone_block.messages[1].report == result and result["error"]["kind"] == "too_large"


def test_an_lms_that_is_behind_gets_one_callback_per_run(gone_block: Block) -> None:
    """With the block holding every callback, 20 runs pile up in the outbox: once it is behind,
    a run's started message, whose report waits behind it, is not sent; every report is, in order."""
    from sabaq_grading.worker import callback, tasks

    gone_block.answer_started = 200
    gone_block.open.clear()
    runs = 20
    try:
        results = [tasks.grade("{}", "x" * 100, name=f"s{i}", token=f"run-{i}", callback={"url": gone_block.url},
                               limits={"max_notebook_bytes": 10}) for i in range(runs)]
    finally:
        gone_block.open.set()
    assert tasks.OUTBOX.drain(timeout=60)
    sent = [(m.event, m.token) for m in gone_block.messages]
    assert [m.report for m in gone_block.messages if m.event == callbacks.FINISHED] == results
    assert [t for e, t in sent if e == callbacks.FINISHED] == [f"run-{i}" for i in range(runs)]
    started = [t for e, t in sent if e == callbacks.STARTED]
    # started messages were left out while BACKLOG or more waited, and sent again for the last
    # runs, once the outbox had caught up (run-0's may have left before the pile grew)
    caught_up = [f"run-{i}" for i in range(runs - callback.BACKLOG // 2 + 1, runs)]
    assert len(started) < runs and started[-len(caught_up):] == caught_up
    assert started == sorted(started, key=lambda token: int(token.split("-")[1]))
