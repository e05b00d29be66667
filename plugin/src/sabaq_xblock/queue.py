"""The grading queue in view: what the store and the broker say, for operators and staff.

``python -m sabaq_xblock.queue [--json] [--block BLOCK_ID] [--no-workers]`` reads the
deployment's settings (``SABAQ_*``, as the workers and the reconciler do), then

* from the submissions store: the submissions in each state, how long the oldest pending one
  has waited, the failures of the last hour by error kind, the dead letters (submissions no
  grader finished in ``MAX_RUNS`` runs) and the scores not yet published;
* from the broker: the workers that answer a ping, and what each is grading.

The store's figures (``figures``) are also the staff view's for one block. Exit 0 when both
answered, 3 when the store cannot be read (nothing printed), 4 when the broker cannot be
reached (the store's figures are still printed; the embedded broker, which carries no
broadcasts, is reachable but its workers are not counted), 2 for bad
settings or usage.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from sabaq_contract import settings as deployment
from sabaq_contract.errors import SettingsInvalid
from sabaq_contract.settings import Settings
from sabaq_contract.states import State

EXIT_OK, EXIT_USAGE, EXIT_STORE, EXIT_BROKER = 0, 2, 3, 4
FAILURE_WINDOW = 3600.0
"""Seconds back that count as "recent" failures."""
GIVEN_UP = "grader_failure"
"""The error kind of a submission the reconciler gave up on (``Lifecycle.reconcile``)."""
LISTED = 10
"""How many dead letters are listed by id (newest first); all are counted."""


class Unreachable(Exception):
    """The store or the broker did not answer; ``str()`` says which and why."""


@dataclass
class Figures:
    """The store's view of the queue (all blocks, or one)."""

    at: float
    block_id: str | None
    states: dict[str, int]
    pending: int
    queued: int
    running: int
    oldest_waiting_seconds: float | None
    oldest_waiting_id: str | None
    failures_last_hour: int
    failure_kinds: dict[str, int]
    dead_letters: int
    dead_letter_ids: list[str]
    unpublished: int


@dataclass
class Workers:
    """The broker's view: workers that answered a ping and the tasks each is running."""

    reachable: bool
    counted: bool
    alive: list[str] = field(default_factory=list)
    active: dict[str, int] = field(default_factory=dict)
    note: str | None = None


def _kind(report_text: str | None) -> str:
    try:
        error = (json.loads(report_text or "{}") or {}).get("error") or {}
    except ValueError:
        return "unknown"
    return str(error.get("kind") or "unknown") if isinstance(error, dict) else "unknown"


def figures(engine: Any, max_runs: int, block_id: str | None = None, now: float | None = None) -> Figures:
    """The queue's figures from the store behind ``engine`` (one block's with ``block_id``)."""
    import sqlalchemy as sa

    from .tables import submission as t

    at = time.time() if now is None else now
    scope = [t.c.block_id == block_id] if block_id is not None else []
    pending = t.c.state.in_([State.QUEUED.value, State.RUNNING.value])
    with engine.connect() as conn:
        states = {s.value: 0 for s in State if s is not State.NONE}
        for state, count in conn.execute(sa.select(t.c.state, sa.func.count()).where(*scope).group_by(t.c.state)):
            states[str(state)] = int(count)
        oldest = conn.execute(sa.select(t.c.id, t.c.created).where(*scope, pending)
                              .order_by(t.c.created).limit(1)).first()
        recent = conn.execute(sa.select(t.c.report).where(
            *scope, t.c.state == State.ERROR.value, t.c.updated >= at - FAILURE_WINDOW)).scalars().all()
        spent = conn.execute(sa.select(t.c.id, t.c.report).where(
            *scope, t.c.state == State.ERROR.value, t.c.runs >= max_runs).order_by(t.c.updated.desc())).all()
        unpublished = conn.execute(sa.select(sa.func.count()).where(
            *scope, t.c.state == State.GRADED.value, t.c.published.is_(False))).scalar()
    kinds = Counter(_kind(text) for text in recent)
    dead = [row.id for row in spent if _kind(row.report) == GIVEN_UP]
    return Figures(
        at=at, block_id=block_id, states=states,
        pending=states[State.QUEUED.value] + states[State.RUNNING.value],
        queued=states[State.QUEUED.value], running=states[State.RUNNING.value],
        oldest_waiting_seconds=None if oldest is None else round(max(0.0, at - oldest.created), 3),
        oldest_waiting_id=None if oldest is None else str(oldest.id),
        failures_last_hour=len(recent), failure_kinds=dict(sorted(kinds.items())),
        dead_letters=len(dead), dead_letter_ids=dead[:LISTED], unpublished=int(unpublished or 0),
    )


def store_figures(settings: Settings, block_id: str | None = None) -> Figures:
    """``figures`` of the deployment's store; ``Unreachable`` when it cannot be read."""
    import sqlalchemy as sa

    from . import database

    try:
        return figures(database.engine(settings.submissions_db), settings.max_runs, block_id)
    except (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.ProgrammingError, OSError) as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise Unreachable(f"the submissions store ({_safe(settings.submissions_db)}) cannot be read: {reason}") \
            from error


def workers(settings: Settings, timeout: float = 1.0) -> Workers:
    """Ask the broker which workers are alive (``ping``) and what they run (``active``)."""
    from .backend import _celery_app

    app = _celery_app(settings)
    where = _safe(settings.broker_url)
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=timeout)
    except Exception as error:  # kombu raises each transport's own errors
        return Workers(False, False, note=f"the broker ({where}) cannot be reached: {error}")
    if settings.broker_kind == "sqlalchemy":
        return Workers(True, False, note=f"the embedded broker ({where}) does not carry broadcasts, so workers "
                                   "cannot be counted; use Redis or RabbitMQ to see them")
    try:
        inspect = app.control.inspect(timeout=timeout)
        pings = inspect.ping() or {}
        active = inspect.active() or {}
    except Exception as error:
        return Workers(False, False, note=f"the broker ({where}) did not answer: {error}")
    return Workers(True, True, sorted(pings), {name: len(tasks or []) for name, tasks in sorted(active.items())})


def _safe(url: str) -> str:
    """``url`` without its password."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest.split("/", 1)[0]:
        return url
    credentials, _, host = rest.partition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in credentials else url


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def text(found: Figures, seen: Workers | None) -> str:
    """The figures for a person: one fact per line."""
    scope = f"block {found.block_id}" if found.block_id else "all blocks"
    states = "  ".join(f"{name} {count}" for name, count in found.states.items())
    kinds = ", ".join(f"{kind} {count}" for kind, count in found.failure_kinds.items()) or "none"
    lines = [
        f"Grading queue ({scope}) at {time.strftime('%Y-%m-%d %H:%M:%S %Z', time.localtime(found.at))}",
        f"  states            {states}",
        f"  pending           {found.pending} ({found.queued} queued, {found.running} running)",
        f"  oldest waiting    {_age(found.oldest_waiting_seconds)}"
        + (f" (submission {found.oldest_waiting_id})" if found.oldest_waiting_id else ""),
        f"  failures, 1 h     {found.failures_last_hour} ({kinds})",
        f"  dead letters      {found.dead_letters}"
        + (f" ({', '.join(found.dead_letter_ids)})" if found.dead_letter_ids else ""),
        f"  unpublished       {found.unpublished}",
    ]
    if seen is not None:
        if not seen.counted:
            lines.append(f"  workers alive     unknown: {seen.note}")
        else:
            busy = ", ".join(f"{name} ({seen.active.get(name, 0)} active)" for name in seen.alive)
            lines.append(f"  workers alive     {len(seen.alive)}" + (f": {busy}" if busy else ""))
    return "\n".join(lines)


def main(argv: list[str] | None = None, prog: str = "python -m sabaq_xblock.queue") -> int:
    parser = argparse.ArgumentParser(prog=prog,
                                     description="Show the grading queue: the store's figures and the workers.")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.add_argument("--block", metavar="BLOCK_ID", help="only this block's submissions")
    parser.add_argument("--no-workers", action="store_true", help="do not ask the broker")
    parser.add_argument("--timeout", type=float, default=1.0, help="seconds to wait for workers (default 1)")
    args = parser.parse_args(argv)
    try:
        settings = deployment.load()
    except SettingsInvalid as error:
        print(f"sabaq queue: error: bad settings: {error}", file=sys.stderr)
        return EXIT_USAGE
    try:
        found = store_figures(settings, args.block)
    except Unreachable as error:
        print(f"sabaq queue: error: {error}", file=sys.stderr)
        return EXIT_STORE
    seen = None
    if not args.no_workers:
        print("sabaq queue: asking the workers...", file=sys.stderr, flush=True)
        seen = workers(settings, args.timeout)
    if args.json:
        print(json.dumps({**asdict(found), "workers": None if seen is None else asdict(seen)}, indent=1))
    else:
        print(text(found, seen))
    if seen is not None and not seen.reachable:
        print(f"sabaq queue: error: {seen.note}", file=sys.stderr)
        return EXIT_BROKER
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
