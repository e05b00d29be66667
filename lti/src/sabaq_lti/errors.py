"""The tool's errors: each says what went wrong and what to do, and maps to an HTTP status."""

from __future__ import annotations


class LtiError(Exception):
    """A launch, a login or a request the tool refuses; nothing was changed."""

    status = 400

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class LaunchInvalid(LtiError):
    """An id_token or login request that does not prove what it claims (400)."""


class NotRegistered(LtiError):
    """An issuer, client or deployment the tool does not know (400, with how to register it)."""


class Forbidden(LtiError):
    """A session that may not do this (a learner at an instructor's page) (403)."""

    status = 403


class SessionGone(LtiError):
    """An unknown or expired session key: launch again from the LMS (401)."""

    status = 401


class UnitMissing(LtiError):
    """A link to a unit that is not installed, or a link without one (404)."""

    status = 404


class PlatformError(LtiError):
    """A platform's service answered with an error or could not be reached (502)."""

    status = 502
