"""Typed errors of the XBlock's logic modules.

Each error carries a short ``code``; the block turns it into an HTTP status and a
translated message in one place (``NotebookBlock._fail``), so the logic modules
stay free of gettext and webob.
"""

from __future__ import annotations


class SabaqBlockError(Exception):
    """Base class of the errors the block answers with a 4xx status."""

    status = 400

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


class NotebookInvalid(SabaqBlockError):
    """A notebook (uploaded or authored) is not a readable nbformat-4 notebook."""


class AnswersInvalid(SabaqBlockError):
    """A submission's answers are malformed or name unknown cells."""


class NotAllowed(SabaqBlockError):
    """The learner may not do this (no attempts left, not staff, not theirs)."""

    status = 403


class Conflict(SabaqBlockError):
    """The request clashes with the current state (already grading, replayed callback)."""

    status = 409


class NotFound(SabaqBlockError):
    """The submission or widget named in the request does not exist for this learner."""

    status = 404


class BackendUnavailable(SabaqBlockError):
    """The grading backend cannot be reached; nothing was queued."""

    status = 503


class SignatureInvalid(SabaqBlockError):
    """A grader callback is unsigned or its signature does not match."""

    status = 403
