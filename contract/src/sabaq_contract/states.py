"""A submission's states and the moves between them: one vocabulary for block, grader and page.

``queued → running → graded | error``; ``running → running`` is a redelivered task starting
again, ``queued | running → queued`` is a re-queue after a lost task. ``graded`` and
``error`` are final: nothing leaves them (a regrade is a new submission).
"""

from __future__ import annotations

from enum import StrEnum

from .errors import TransitionRefused


class State(StrEnum):
    """Where a submission is. The status handler answers ``NONE`` when there is none."""

    NONE = "none"
    QUEUED = "queued"
    RUNNING = "running"
    GRADED = "graded"
    ERROR = "error"


PENDING: frozenset[State] = frozenset({State.QUEUED, State.RUNNING})
FINAL: frozenset[State] = frozenset({State.GRADED, State.ERROR})

TRANSITIONS: dict[State, frozenset[State]] = {
    State.QUEUED: frozenset({State.QUEUED, State.RUNNING, State.GRADED, State.ERROR}),
    State.RUNNING: frozenset({State.QUEUED, State.RUNNING, State.GRADED, State.ERROR}),
    State.GRADED: frozenset(),
    State.ERROR: frozenset(),
    State.NONE: frozenset({State.QUEUED}),
}


def allowed(current: State | str, target: State | str) -> bool:
    """Whether a submission in ``current`` may move to ``target``."""
    return State(target) in TRANSITIONS[State(current)]


def check(current: State | str, target: State | str) -> State:
    """``target`` as a :class:`State`, or ``TransitionRefused`` if the move is not allowed."""
    if not allowed(current, target):
        raise TransitionRefused("transition_refused", f"{current} -> {target}")
    return State(target)


def sources(target: State | str) -> tuple[str, ...]:
    """The states a submission may be in to move to ``target`` (for a conditional UPDATE)."""
    return tuple(sorted(s.value for s, targets in TRANSITIONS.items()
                        if State(target) in targets and s is not State.NONE))
