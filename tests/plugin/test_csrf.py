"""Another site cannot make a visitor's browser change state; the grader's signed callback works.

Every handler that changes state needs the CSRF token (``X-CSRFToken`` from the
``csrftoken`` cookie, as the LMS does it), through the workbench's ``/handler/`` and
``/unauth_handler/`` alike. Only ``grading_result`` is exempt: its HMAC signature is its
authentication.
"""

from __future__ import annotations

import json
import time
import urllib.request
import uuid
from typing import Any

import notebooks
import pytest
from servers import SECRET, Client

from sabaq_contract import signing
from sabaq_xblock import notebook as nbmod

pytestmark = pytest.mark.slow

EVIL = "http://evil.example"
RIGHT = "def add(a, b):\n    return a + b"
BOUNDARY = "sabaqboundary"


def _upload_body() -> bytes:
    nb = nbmod.fill_answers(notebooks.student(), {"add": RIGHT})
    return (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"notebook\"; "
            f"filename=\"mine.ipynb\"\r\nContent-Type: application/json\r\n\r\n"
            f"{json.dumps(nb)}\r\n--{BOUNDARY}--\r\n").encode()


def _requests() -> dict[str, tuple[bytes, str]]:
    """Each state-changing handler with a body that would change state if accepted."""
    as_json = "application/json"
    return {
        "submit": (json.dumps({"answers": {"add": RIGHT}}).encode(), as_json),
        "save_draft": (json.dumps({"grade_id": "add", "source": "FORGED-DRAFT"}).encode(),
                       as_json),
        "upload": (_upload_body(), f"multipart/form-data; boundary={BOUNDARY}"),
        "regrade": (json.dumps({"submission_id": "x"}).encode(), as_json),
        "widget_state": (json.dumps({"action": "save", "model_id": "quiz1",
                                     "state": {"response": {"selected": [1]}}}).encode(), as_json),
        "studio_submit": (json.dumps({"display_name": "FORGED"}).encode(), as_json),
    }


def _forge(client: Client, path: str, body: bytes, ctype: str, token: str | None) -> int:
    headers = {"Content-Type": ctype, "Origin": EVIL, "Referer": f"{EVIL}/page"}
    if token is not None:
        headers["X-CSRFToken"] = token
    request = urllib.request.Request(f"{client.base}/{path}", data=body, method="POST",
                                     headers=headers)
    return client._open(request)[0]


@pytest.mark.parametrize("handler", list(_requests()))
def test_a_cross_site_post_is_refused(live: dict[str, Any], handler: str) -> None:
    victim = Client(live["base"], f"staff-victim-{uuid.uuid4().hex[:6]}")  # staff: regrade too
    usage = victim.usage_id(live["scenario"])  # the victim's browser holds the csrftoken cookie
    token = next(c.value for c in victim.jar if c.name == "csrftoken")
    body, ctype = _requests()[handler]
    for path in (f"handler/{usage}/{handler}/?student={victim.student}",
                 f"unauth_handler/{usage}/{handler}/"):
        assert _forge(victim, path, body, ctype, None) == 403, path
        assert _forge(victim, path, body, "text/plain", None) == 403, path  # a plain HTML form
        assert _forge(victim, path, body, ctype, token) == 403, path  # right token, wrong site
    status = victim.post(usage, "status", {})[1]
    assert status["state"] == "none" and status["attempts_used"] == 0
    assert "FORGED" not in victim.page(live["scenario"])


def test_the_same_requests_from_the_page_are_accepted(live: dict[str, Any]) -> None:
    learner = Client(live["base"], f"csrf-{uuid.uuid4().hex[:8]}")
    usage = learner.usage_id(live["scenario"])
    assert learner.post(usage, "save_draft", {"grade_id": "add", "source": "mine"})[0] == 200
    status, queued = learner.post(usage, "submit", {"answers": {"add": RIGHT}})
    assert status == 200 and queued["state"] == "queued"
    assert learner.wait_final(usage, queued["submission_id"])["state"] == "graded"


def test_the_signed_callback_needs_no_csrf_token(live: dict[str, Any]) -> None:
    client = Client(live["base"], "callback")
    usage = client.usage_id(live["scenario"])
    body = json.dumps({"submission_id": "no-such-submission", "report": {}}).encode()
    status, answer = client.post(usage, "grading_result", body=body, unauth=True,
                                 headers=signing.sign(SECRET, body, int(time.time())))
    assert status in (400, 404) and isinstance(answer, dict) and answer["error"], answer

    learner = Client(live["base"], f"cb-{uuid.uuid4().hex[:8]}")
    usage = learner.usage_id(live["scenario"])
    _, queued = learner.post(usage, "submit", {"answers": {"add": RIGHT}})
    final = learner.wait_final(usage, queued["submission_id"])
    # the status handler only reads and no reconciler runs here: only the worker's signed
    # callbacks (started, finished), posted without a CSRF token, can have finished it
    assert final["state"] == "graded", final
