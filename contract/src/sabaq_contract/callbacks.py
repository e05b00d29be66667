"""What a grader sends back to the block, as signed JSON bodies (see ``signing``).

``started``: the worker took the submission's task (the block records ``running``).
``finished``: the grade report. Both carry the submission id and the run's ``token``
(``tasks.GradeRequest.token``). A body without ``event`` is a ``finished`` one, as graders
before version 0.1 of this contract sent it; one without ``token`` is taken for the
submission's current run.

The block answers ``GONE`` (410) to a message from a run it no longer waits for (queued
again under another token since, or its submission already final): a worker told so at
``started`` grades nothing. Any other refusal (a stale signature: clocks apart) is not a
reason to skip the grading, whose result the block can still read from the result backend.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .errors import CallbackInvalid
from .report import check

STARTED = "started"
FINISHED = "finished"
GONE = 410


@dataclass(frozen=True)
class Callback:
    """One message from a grader: ``event`` is ``STARTED`` or ``FINISHED`` (then ``report``)."""

    event: str
    submission_id: str
    token: str = ""
    report: dict[str, Any] | None = None

    def body(self) -> bytes:
        data: dict[str, Any] = {"event": self.event, "submission_id": self.submission_id,
                                "token": self.token}
        if self.event == FINISHED:
            data["report"] = self.report
        return json.dumps(data).encode("utf-8")


def parse(data: Any) -> Callback:
    """The message in the decoded JSON ``data``; ``CallbackInvalid`` or ``ReportInvalid``."""
    if not isinstance(data, dict) or not isinstance(data.get("submission_id"), str):
        raise CallbackInvalid("bad_callback", "no submission id")
    event = data.get("event", FINISHED)
    token = data.get("token", "")
    if event not in (STARTED, FINISHED) or not isinstance(token, str):
        raise CallbackInvalid("bad_callback", "unknown event or token")
    if event == STARTED:
        return Callback(STARTED, data["submission_id"], token)
    return Callback(FINISHED, data["submission_id"], token, check(data.get("report")))
