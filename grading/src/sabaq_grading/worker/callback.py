"""Telling the block about a grading: signed ``started`` and ``finished`` callbacks.

The message format and its signature are the contract's (``sabaq_contract.callbacks`` and
``signing``). Callbacks leave through an :class:`Outbox`, one sender thread per worker
process, so a task never waits for the LMS: the worker grades the next submission while
the last one's report is on its way. A callback that fails, or that was still in the
outbox when its process died, is logged and does not fail the task: the task's result is
stored in the result backend before the task is acknowledged, and the block's reconciler
reads it there for a submission whose callback never arrived.
"""

from __future__ import annotations

import atexit
import contextlib
import http.client
import logging
import os
import queue
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass

from sabaq_contract import signing
from sabaq_contract.callbacks import FINISHED, GONE, Callback

log = logging.getLogger(__name__)
RETRY_DELAYS = (0.5, 2.0)
"""Pauses before the second and third try of a callback the block did not answer."""
OUTBOX_SIZE = 4096
"""Callbacks a process may have waiting (a report is a few kilobytes); a task that would add
one more waits a while for room, then drops it (the reconciler recovers it)."""
BACKLOG = 16
"""Callbacks waiting from which the LMS is behind: a ``started`` message whose report waits
behind it is then not sent."""


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
        except (OSError, ValueError, http.client.HTTPException) as error:  # no (whole) answer
            answer, reason = 0, str(error) or type(error).__name__
        log.warning("%s callback for %s to %s failed: %s", message.event, message.submission_id, url, reason)
    return answer


Send = Callable[[str, Callback], int]


@dataclass
class _Letter:
    url: str
    message: Callback | None  # None: a mark that everything before it was sent
    answer: Future[int]
    after: Future[int] | None  # sent only if this one was not answered GONE


class Outbox:
    """Callbacks sent in order by one thread of this process; each send's answer is a future.

    A message sent ``after`` another is dropped (answered ``GONE``) when that one was
    answered ``GONE``: a run the block no longer waits for reports nothing. When the LMS is
    behind (``BACKLOG`` messages waiting), a ``started`` message whose run's ``finished`` one is
    already waiting behind it is not sent (answered 0): one request per submission, not two,
    until it catches up. The thread is started on first use in the process that uses it (a
    forked pool child gets its own), and a process that exits lets it finish what is waiting,
    up to ``drain_timeout``, once.
    """

    def __init__(self, send: Send, drain_timeout: float = 30.0, dropped: Callable[[Callback], int] | None = None,
                 wait_for_room: float = 10.0) -> None:
        self._send = send
        self._dropped = dropped or (lambda message: 0)
        self._drain_timeout = drain_timeout
        self._wait_for_room = wait_for_room
        self._finishing: set[tuple[str, str]] = set()  # runs whose finished message is waiting
        self._letters: queue.Queue[_Letter | None] = queue.Queue(OUTBOX_SIZE)
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._lock = threading.Lock()

    def send(self, url: str, message: Callback, after: Future[int] | None = None) -> Future[int]:
        """Queue ``message`` for ``url``; the future of the block's HTTP status. A full outbox
        (an LMS that has not answered for a long while) drops the message, answered 0, after
        ``wait_for_room`` seconds rather than hold the task longer: the reconciler finishes its
        submission from the result backend."""
        self._running()
        answer: Future[int] = Future()
        run = (message.submission_id, message.token)
        try:
            if message.event == FINISHED:
                with self._lock:
                    self._finishing.add(run)
            self._letters.put(_Letter(url, message, answer, after), timeout=self._wait_for_room)
        except queue.Full:
            with self._lock:
                self._finishing.discard(run)
            log.warning("%s callback for %s dropped: %d callbacks are waiting for the block", message.event,
                        message.submission_id, OUTBOX_SIZE)
            answer.set_result(self._dropped(message))
        return answer

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until everything queued so far was sent (at most ``timeout`` s); whether it was."""
        if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
            return True
        mark: Future[int] = Future()
        deadline = time.monotonic() + (self._drain_timeout if timeout is None else timeout)
        try:
            self._letters.put(_Letter("", None, mark, None), timeout=max(0.0, deadline - time.monotonic()))
            mark.result(timeout=max(0.0, deadline - time.monotonic()))
        except Exception:
            log.warning("%d callbacks were not sent before the process ended; the reconciler "
                        "finishes their submissions from the result backend", self._letters.qsize())
            return False
        return True

    def close(self) -> bool:
        """Drain (at most ``drain_timeout``), then stop the thread: a process that is ending
        waits for its callbacks once. Whether everything was sent."""
        sent = self.drain()
        if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
            with contextlib.suppress(queue.Full):
                self._letters.put_nowait(None)
            self._thread.join(timeout=1.0)
        return sent

    def _running(self) -> None:
        with self._lock:
            if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
                return
            if self._pid != os.getpid():  # a forked child: the parent's thread and queue are not ours
                self._letters = queue.Queue(OUTBOX_SIZE)
                self._finishing = set()
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._run, name="sabaq-callbacks", daemon=True)
            self._thread.start()
            atexit.register(self.close)

    def _run(self) -> None:
        while True:
            letter = self._letters.get()
            if letter is None:
                return
            if letter.message is None:
                letter.answer.set_result(0)
                continue
            if not letter.answer.set_running_or_notify_cancel():
                continue
            run = (letter.message.submission_id, letter.message.token)
            with self._lock:
                if letter.message.event == FINISHED:
                    self._finishing.discard(run)
                elif run in self._finishing and self._letters.qsize() >= BACKLOG:  # its report says it
                    letter.answer.set_result(0)
                    continue
            try:
                after = letter.after
                gone = after is not None and after.exception() is None and after.result() == GONE
                letter.answer.set_result(GONE if gone else self._send(letter.url, letter.message))
            except BaseException as error:  # never let one letter stop the others
                log.exception("%s callback for %s could not be sent", letter.message.event,
                              letter.message.submission_id)
                letter.answer.set_exception(error)
