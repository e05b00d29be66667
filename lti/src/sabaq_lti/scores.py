"""The score outbox: every grade the block publishes reaches the platform, retried until accepted.

``enqueue`` (called by the runtime's ``publish``) stores the score with the time it was
given, in the same database as the launch that made the link, and wakes this process's
sender. ``deliver_due`` sends what is due: each row is claimed by one sender at a time (a
conditional update), only a learner's newest score per link is sent (an older one still
waiting is superseded), and a failure is tried again later, backing off from 5 s to 10 min.
A platform that answers 409 already holds this score or a newer one. ``sabaq-lti
deliver-scores`` runs the same pass from a periodic job, for scores whose process stopped.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db import close_old_connections

from . import ags
from .errors import PlatformError
from .models import Learner, ResourceLink, ScoreOutbox

log = logging.getLogger(__name__)
CLAIM_SECONDS = 120.0
FIRST_RETRY = 5.0
LAST_RETRY = 600.0
NO_SERVICE_RETRY = 86400.0
MAKING = "making:"
"""A link's ``lineitem`` while one sender makes it on the platform (``making:<time>:<id>``)."""
SOON = 2.0


@dataclass
class Delivered:
    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    superseded: list[int] = field(default_factory=list)


def backoff(tries: int) -> float:
    return float(min(LAST_RETRY, FIRST_RETRY * 2 ** max(0, tries - 1)))


def enqueue(usage_id: str, learner_id: str, score: float, max_score: float) -> ScoreOutbox | None:
    """Keep ``score`` for the platform of ``usage_id``'s resource link; None if the block has no
    link (a block this tool does not serve) or the learner is not one of the tool's."""
    link = ResourceLink.objects.filter(usage_id=usage_id).first()
    learner = Learner.objects.filter(id=int(learner_id)).first() if learner_id.isdigit() else None
    if link is None or learner is None or learner.platform_id != link.platform_id:
        log.warning("a grade for %s of learner %s has no resource link to go to", usage_id, learner_id)
        return None
    stamp = datetime.now(UTC).isoformat(timespec="microseconds")
    row = ScoreOutbox.objects.create(link=link, learner=learner, score=score, max_score=max_score,
                                     timestamp=stamp, next_try=time.time())
    SENDER.wake()
    assert isinstance(row, ScoreOutbox)
    return row


def _lineitem(link: ResourceLink) -> str:
    """The link's line item; made on the platform (by one sender: it claims the link first) when
    its launches gave none."""
    link.refresh_from_db(fields=["lineitem"])
    if link.lineitem and not link.lineitem.startswith(MAKING):
        return str(link.lineitem)
    if not link.lineitems:
        raise PlatformError("no_grade_service", "The platform offered no line items service in this link's "
                                                "launches: enable grade sync (AGS) for the tool in the LMS.")
    now = time.time()
    claim = f"{MAKING}{now:.3f}:{uuid.uuid4().hex}"
    current = str(link.lineitem or "")
    stale = current.startswith(MAKING) and float(current[len(MAKING):].split(":")[0]) < now - CLAIM_SECONDS
    if current and not stale:
        raise PlatformError("lineitem_pending", "Another sender is making this link's line item.")
    if ResourceLink.objects.filter(id=link.id, lineitem=current).update(lineitem=claim) != 1:
        raise PlatformError("lineitem_pending", "Another sender is making this link's line item.")
    try:
        made = ags.find_or_create_lineitem(link.platform, link.lineitems, link.resource_link_id, link.usage_id,
                                           link.unit.title, link.unit.max_score or 1.0)
    except PlatformError:
        ResourceLink.objects.filter(id=link.id, lineitem=claim).update(lineitem="")
        raise
    ResourceLink.objects.filter(id=link.id, lineitem=claim).update(lineitem=made)
    link.refresh_from_db(fields=["lineitem"])
    return str(link.lineitem)


def _claim(row: ScoreOutbox, now: float) -> bool:
    return bool(ScoreOutbox.objects.filter(id=row.id, sent__isnull=True, claimed_until__lt=now)
                .update(claimed_until=now + CLAIM_SECONDS) == 1)


def deliver_due(now: float | None = None) -> Delivered:
    """One pass over the scores due now."""
    at = time.time() if now is None else now
    done = Delivered()
    due = ScoreOutbox.objects.filter(sent__isnull=True, next_try__lte=at, claimed_until__lt=at).order_by("id")
    down: set[int] = set()  # platforms that failed this pass: their other scores wait for the next
    for row in due.select_related("link__platform", "link__unit", "learner")[:200]:
        if row.link.platform_id in down or not _claim(row, at):
            continue
        if ScoreOutbox.objects.filter(link_id=row.link_id, learner_id=row.learner_id, id__gt=row.id).exists():
            ScoreOutbox.objects.filter(id=row.id).update(sent=time.time(), last_error="superseded by a newer score")
            done.superseded.append(row.id)
            continue
        try:
            ags.post_score(row.link.platform, _lineitem(row.link), row.learner.sub, row.score, row.max_score,
                           row.timestamp)
        except PlatformError as error:
            if error.code == "http_409":  # the platform has this score (a send whose answer was lost) or a newer one
                ScoreOutbox.objects.filter(id=row.id).update(sent=time.time(), last_error=error.message[:2000])
                done.sent.append(row.id)
                continue
            tries = row.tries + 1
            wait = {"no_grade_service": NO_SERVICE_RETRY, "lineitem_pending": SOON}.get(error.code, backoff(tries))
            if error.code in ("timeout", "unreachable") or error.code.startswith("http_5"):
                down.add(row.link.platform_id)
            ScoreOutbox.objects.filter(id=row.id).update(tries=tries, next_try=time.time() + wait, claimed_until=0,
                                                         last_error=error.message[:2000])
            log.warning("score %s for %s not accepted (try %s, next in %.0f s): %s", row.id, row.link.usage_id,
                        tries, wait, error.message)
            done.failed.append(row.id)
            continue
        ScoreOutbox.objects.filter(id=row.id).update(sent=time.time(), tries=row.tries + 1, last_error="")
        log.info("score %s sent: %s/%s for %s", row.id, row.score, row.max_score, row.link.usage_id)
        done.sent.append(row.id)
    return done


def next_due() -> float | None:
    row = ScoreOutbox.objects.filter(sent__isnull=True).order_by("next_try").values_list("next_try", flat=True)[:1]
    return float(row[0]) if row else None


class Sender:
    """This process's delivery thread: wakes on a new score, else when the next retry is due."""

    def __init__(self) -> None:
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def wake(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="sabaq-lti-scores", daemon=True)
                self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.clear()
            wait = 30.0
            try:
                close_old_connections()
                deliver_due()
                due = next_due()
                if due is not None:
                    wait = min(wait, max(0.5, due - time.time()))
            except Exception:  # the thread outlives one bad pass (a database restart)
                log.exception("a score delivery pass failed")
            self._wake.wait(wait)


SENDER = Sender()
