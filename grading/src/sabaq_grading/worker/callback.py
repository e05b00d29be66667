"""Telling the block about a grading: signed ``started`` and ``finished`` callbacks.

The message format and its signature are the contract's (``sabaq_contract.callbacks`` and
``signing``). A callback that fails is logged and does not fail the task: the block's
reconciler reads the result backend for a submission whose callback never arrived.
"""

from __future__ import annotations

import logging
import time
import urllib.error
import urllib.request

from sabaq_contract import signing
from sabaq_contract.callbacks import Callback

log = logging.getLogger(__name__)
RETRY_DELAYS = (0.5, 2.0)
"""Pauses before the second and third try of a callback the block did not answer."""


def post(url: str, secret: str, message: Callback, timeout: float) -> int:
    """POST ``message`` to ``url``; the block's HTTP status, 0 if it never answered.

    Retries only when there was no answer or a 5xx one. The block answers 410
    (``callbacks.GONE``) to a run it no longer waits for.
    """
    if not secret:
        log.warning("callback to %s skipped: SABAQ_CALLBACK_SECRET is not set", url)
        return 0
    body = message.body()
    answer = 0
    for delay in (0.0, *RETRY_DELAYS):
        time.sleep(delay)
        headers = {"Content-Type": "application/json", **signing.sign(secret, body)}
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                response.read()
                return int(response.status)
        except urllib.error.HTTPError as error:
            answer, reason = int(error.code), f"HTTP {error.code}"
            if error.code < 500:
                return answer
        except (OSError, ValueError) as error:
            answer, reason = 0, str(error)
        log.warning("%s callback for %s to %s failed: %s", message.event, message.submission_id, url, reason)
    return answer
