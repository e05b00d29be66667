"""How often a learner's page asks for its submission's state: one schedule for the page
(``notebook.js`` gets it in its init arguments) and for whoever models the page's load (the
burst benchmark).

Soon at first, then ``GROWTH`` times later each time the answer is the same state, up to
``MOST``; soon again when the state changes. At a deadline thousands of pages wait in one queue:
a fixed interval makes the LMS's status load grow with the wait, this schedule keeps it near
``pages / MOST`` requests per second once the queue is long, and a page still sees its grading
start within ``MOST``.
"""

from __future__ import annotations

FIRST = 0.7
"""Seconds before the first poll, and after a poll that saw a new state."""
GROWTH = 1.5
MOST = 5.0
"""The longest wait between two polls."""


def next_delay(previous: float | None, same_state: bool) -> float:
    """Seconds until the next poll, after a wait of ``previous`` (None: none yet)."""
    if previous is None or not same_state:
        return FIRST
    return min(MOST, previous * GROWTH)


def schedule() -> dict[str, float]:
    """The schedule as the page reads it, in milliseconds."""
    return {"first": FIRST * 1000, "growth": GROWTH, "most": MOST * 1000}
