"""Typed errors of the XBlock's logic modules.

Each error carries a short ``code`` (and, for some, ``params`` that fill its message);
the block turns it into an HTTP status and a translated message in one place
(``requests.error_response``), so the logic modules stay free of gettext and webob.
"""

from __future__ import annotations

from typing import Any


class SabaqBlockError(Exception):
    """Base class of the errors the block answers with a 4xx status."""

    status = 400

    def __init__(self, code: str, detail: str = "", **params: Any) -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail
        self.params = params


class NotebookInvalid(SabaqBlockError):
    """A notebook (uploaded or authored) is not a readable nbformat-4 notebook."""


class AnswersInvalid(SabaqBlockError):
    """A submission's answers are malformed or name unknown cells."""


class RequestInvalid(SabaqBlockError):
    """A request body is not what the handler takes (not JSON, nested too deeply, wrong types)."""


class ReportInvalid(SabaqBlockError):
    """A grade report from the grader is malformed (a score that is not a finite number...)."""


class TooLarge(SabaqBlockError):
    """A request body or a submission is over a size or cell-count limit; nothing was stored."""

    status = 413


class NotAllowed(SabaqBlockError):
    """The learner may not do this (no attempts left, not staff, not theirs)."""

    status = 403


class Conflict(SabaqBlockError):
    """The request clashes with the current state (already grading, replayed callback)."""

    status = 409


class RunGone(Conflict):
    """A grader's callback from a run the block no longer waits for: queued again under a newer
    token, or its submission is final (``sabaq_contract.callbacks.GONE``)."""

    status = 410


class NotFound(SabaqBlockError):
    """The submission, widget or handler named in the request does not exist."""

    status = 404


class MethodNotAllowed(SabaqBlockError):
    """The handler was called with an HTTP method it does not answer."""

    status = 405

    def __init__(self, allowed: tuple[str, ...]) -> None:
        super().__init__("bad_method", ", ".join(allowed), methods=", ".join(allowed))
        self.allowed = allowed


class RateLimited(SabaqBlockError):
    """The learner submitted more often than the deployment allows; ``retry_after`` seconds."""

    status = 429

    def __init__(self, retry_after: float) -> None:
        seconds = max(1, int(retry_after + 0.999))
        super().__init__("rate_limited", f"retry after {seconds}s", seconds=seconds)
        self.retry_after = seconds


class BackendUnavailable(SabaqBlockError):
    """The grading backend cannot be reached; nothing was queued."""

    status = 503


class PracticeLate(BackendUnavailable):
    """A practice run was queued but no answer came in time: it may have run, so it counts."""


class StoreUnavailable(SabaqBlockError):
    """The submissions store cannot be reached (restarting, failing over); nothing was changed."""

    status = 503
    retry_after = 5


def store_down(error: BaseException) -> bool:
    """Whether ``error`` is the store's database being unreachable (not a bug in a query)."""
    module = type(error).__module__
    if not module.startswith("sqlalchemy"):
        return False
    from sqlalchemy import exc

    return isinstance(error, exc.OperationalError | exc.InterfaceError) or bool(
        getattr(error, "connection_invalidated", False))


class SignatureInvalid(SabaqBlockError):
    """A grader callback is unsigned or its signature does not match."""

    status = 403


def from_contract(error: Exception) -> SabaqBlockError:
    """The block's error for an error of the contract (``sabaq_contract.errors``), mapped here once."""
    from sabaq_contract import errors as contract

    if isinstance(error, contract.SignatureStale):
        return Conflict("callback_stale", error.detail)
    if isinstance(error, contract.SignatureInvalid):
        return SignatureInvalid(error.code, error.detail)
    if isinstance(error, contract.ReportInvalid):
        return ReportInvalid("bad_report", error.detail)
    if isinstance(error, contract.CallbackInvalid):
        return RequestInvalid("bad_callback", error.detail)
    if isinstance(error, contract.TransitionRefused):
        return Conflict("already_final", error.detail)
    if isinstance(error, contract.SettingsInvalid):
        return RequestInvalid("bad_setting", error.detail)
    raise TypeError(f"not an error of the contract: {error!r}")
