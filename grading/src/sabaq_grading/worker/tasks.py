"""The grading tasks. The engine is imported inside each task, so a worker starts fast."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import threading
from collections import OrderedDict
from typing import Any

from celery import signals

from sabaq_contract import logs
from sabaq_contract import tasks as contract
from sabaq_contract.callbacks import FINISHED, GONE, STARTED, Callback

from . import callback as callbacks
from . import metrics
from .app import app, settings

log = logging.getLogger(__name__)
_GRADER: list[Any] = []
_ASSIGNMENTS: OrderedDict[str, Any] = OrderedDict()
_LOCK = threading.Lock()


def _grader() -> Any:
    """One engine per worker process: it keeps warm sandboxes between tasks."""
    if not _GRADER:
        from sabaq_grading.engine import Grader

        _GRADER.append(Grader())
    return _GRADER[0]


def _assignment(instructor: str, files: dict[str, str] | None) -> Any:
    """The prepared assignment, cached by content so repeat submissions skip preparation."""
    key = hashlib.sha256(
        json.dumps([instructor, sorted((files or {}).items())]).encode("utf-8")
    ).hexdigest()
    with _LOCK:
        if key in _ASSIGNMENTS:
            _ASSIGNMENTS.move_to_end(key)
            return _ASSIGNMENTS[key]
    decoded = {name: base64.b64decode(data) for name, data in (files or {}).items()}
    prepared = _grader().assignment(instructor, files=decoded)
    with _LOCK:
        _ASSIGNMENTS[key] = prepared
        while len(_ASSIGNMENTS) > 64:
            _ASSIGNMENTS.popitem(last=False)
    return prepared


def over_limits(submission: str, limits: dict[str, int] | None) -> str | None:
    """Why ``submission`` is over the lecturer's ``limits`` (``max_notebook_bytes``,
    ``max_cells``), or None; checked before any of its code runs."""
    if not limits:
        return None
    max_bytes, max_cells = limits.get("max_notebook_bytes"), limits.get("max_cells")
    size = len(submission.encode("utf-8", "surrogatepass"))
    if isinstance(max_bytes, int) and size > max_bytes:
        return f"the notebook is {size} bytes, over this assignment's limit of {max_bytes} bytes"
    if isinstance(max_cells, int):
        try:
            cells = json.loads(submission).get("cells")
        except (ValueError, RecursionError, AttributeError):
            return None  # not a notebook: the engine says so in its own words
        if isinstance(cells, list) and len(cells) > max_cells:
            return f"the notebook has {len(cells)} cells, over this assignment's limit of {max_cells} cells"
    return None


@app.task(name=contract.GRADE_TASK)  # type: ignore[untyped-decorator]
def grade(
    instructor: str,
    submission: str,
    name: str = "",
    callback: dict[str, str] | None = None,
    files: dict[str, str] | None = None,
    limits: dict[str, int] | None = None,
    token: str = "",
) -> dict[str, Any]:
    """Grade ``submission`` against ``instructor``; return the grade report (schema v1).

    The arguments are ``sabaq_contract.tasks.GradeRequest``'s. With a callback URL, the
    block is told first that this run started (it answers 410 to a run it no longer
    waits for, which then reports nothing) and then gets the report, both signed with
    ``SABAQ_CALLBACK_SECRET``, through this process's outbox: the task does not wait
    for them. The report is also the task's result, which the block's reconciler reads
    when a callback never arrived.
    """
    request = contract.GradeRequest.of(instructor, submission, name, token, callback, files, limits)
    with metrics.grading() as run:
        return run.done(_grade(request))


def _grade(request: contract.GradeRequest) -> dict[str, Any]:
    url, name = request.callback_url, request.submission_id
    log.info("submission %s received", name, extra=logs.fields("received", name, token=request.token or None))
    started = OUTBOX.send(url, Callback(STARTED, request.submission_id, request.token)) if url else None
    reason = over_limits(request.submission, request.limits)
    if started is not None and started.done() and started.exception() is None and started.result() == GONE:
        log.info("submission %s run %s: the block no longer waits for it", name, request.token)
        return _report(request, "grader_failure", "this run was superseded before it started")
    if reason is not None:
        report = _report(request, "too_large", reason)
    else:
        report = _grader().grade(_assignment(request.instructor, request.files), request.submission, name=name)
    error = report.get("error") if report.get("status") != "graded" else None
    log.info("submission %s graded: %s", name, report.get("status"), extra=logs.fields(
        "graded", name, token=request.token or None, status=report.get("status"),
        error_kind=error.get("kind") if isinstance(error, dict) else None))
    if url:  # not sent if the block answered ``started`` with GONE
        OUTBOX.send(url, Callback(FINISHED, request.submission_id, request.token, report), after=started)
    return report


def _report(request: contract.GradeRequest, kind: str, message: str) -> dict[str, Any]:
    from sabaq_grading.report import error_report

    report = error_report(kind, message)
    if request.submission_id:
        report["submission"] = request.submission_id
    return report


def _tell(url: str, message: Callback) -> int:
    status = callbacks.post(url, settings.callback_secret, message, settings.callback_timeout)
    outcome = metrics.callback(message.event, status, tried=bool(settings.callback_secret))
    log.log(logging.INFO if outcome in ("sent", "gone", "skipped") else logging.WARNING,
            "submission %s %s callback %s", message.submission_id, message.event, outcome, extra=logs.fields(
                "callback", message.submission_id, token=message.token or None, callback=message.event,
                outcome=outcome, http_status=status))
    return status


def _dropped(message: Callback) -> int:
    metrics.callback(message.event, 0, tried=True)
    return 0


OUTBOX = callbacks.Outbox(_tell, drain_timeout=2 * settings.callback_timeout, dropped=_dropped,
                          wait_for_room=settings.callback_timeout)


@signals.worker_process_shutdown.connect  # type: ignore[untyped-decorator]
@signals.worker_shutdown.connect  # type: ignore[untyped-decorator]
def _send_what_is_waiting(**_: Any) -> None:
    """A pool child or worker that stops lets its outbox send what the tasks left there, for at
    most two callback time-outs, once (what is left, the reconciler finishes from the result backend)."""
    OUTBOX.close()


@signals.worker_init.connect  # type: ignore[untyped-decorator]
def _json_logs(**_: Any) -> None:
    logs.from_environment()


@signals.worker_init.connect  # type: ignore[untyped-decorator]
def _warm_up(**_: Any) -> None:
    """Import the engine before the pool forks (or the first task), without what it never
    uses (see sabaq_grading.startup): a child's first task no longer waits seconds for it."""
    from sabaq_grading.startup import light_nbgrader, skip_format_checkers

    skip_format_checkers()
    light_nbgrader()
    import nbgrader.preprocessors  # noqa: F401 - the student versions and header/footer

    import sabaq_grading.engine
    import sabaq_grading.report  # noqa: F401


@app.task(name=contract.PREPARE_TASK)  # type: ignore[untyped-decorator]
def prepare(instructor: str, files: dict[str, str] | None = None) -> dict[str, Any]:
    """Validate an instructor notebook and, when sound, make its student version.

    Assignments are proven sound in this worker's sandboxes (reference earns full
    marks, blank version zero, no weak tests); ``files`` are their data files (base64).
    """
    from sabaq_grading.validate import validate_notebook

    from .prepare import page_notebook

    try:
        decoded = {name: base64.b64decode(data) for name, data in (files or {}).items()}
        problems = validate_notebook(json.loads(instructor), grader=_grader(), files=decoded)
    except Exception as error:  # an unreadable notebook is one problem, not a crash
        return {"problems": [{"message": str(error), "cell": None, "hint": ""}], "student": None}
    rows = [
        {
            "message": str(p.message),
            "cell": getattr(p, "cell", None),
            "hint": str(getattr(p, "hint", "") or ""),
        }
        for p in problems
    ]
    if rows:
        return {"problems": rows, "student": None}
    return {"problems": [], "student": page_notebook(json.loads(instructor))}



@app.task(name=contract.PRACTICE_TASK)  # type: ignore[untyped-decorator]
def practice(notebook: str, files: dict[str, str] | None = None, timeout: float = 10.0) -> dict[str, Any]:
    """Run a learner's answers and the visible tests once (``sabaq_contract.tasks.PracticeRequest``):
    outputs and pass/fail per visible test, never a grade, a callback or a stored submission."""
    from sabaq_grading.practice import practice as run
    from sabaq_grading.practice import refused

    request = contract.PracticeRequest.of(notebook, files, timeout)
    try:
        decoded = {name: base64.b64decode(data, validate=True) for name, data in request.files.items()}
    except (ValueError, TypeError):
        return refused("the data files are not base64")
    return run(_grader(), request.notebook, decoded, request.timeout)


@signals.celeryd_after_setup.connect  # type: ignore[untyped-decorator]
def _serve_practice(sender: str, instance: Any, **_: Any) -> None:
    """Every grading worker serves the practice queue too (whatever its ``-Q``), so practice
    works wherever grading does; a worker given only that queue serves practice alone."""
    if settings.practice_queue:
        instance.app.amqp.queues.select_add(settings.practice_queue)
    pool = getattr(instance, "pool_cls", None)
    too_many = oversubscribed_worker(getattr(pool, "__module__", ""), int(getattr(instance, "concurrency", 1) or 1))
    if too_many:
        log.warning("worker --concurrency: %s", too_many)


def oversubscribed_worker(pool_module: str, concurrency: int) -> str | None:
    """Whether a Celery worker runs more sandboxes at once than it has cores (see
    :func:`sabaq_grading.sandboxes.oversubscribed`): one per pool process, whose engine keeps
    one sandbox; the other pools (``pool_module`` names the pool's class) run tasks in one
    process, so one at a time."""
    from sabaq_grading.sandboxes import oversubscribed

    return oversubscribed(concurrency if pool_module == "celery.concurrency.prefork" else 1)
