"""Typed errors of the contract. Each carries a short ``code`` a caller can map to its own answer."""

from __future__ import annotations


class ContractError(Exception):
    """Base class: a message or a setting breaks the contract."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


class ReportInvalid(ContractError):
    """A grade report is malformed (a score that is not a finite number, an unknown status...)."""


class CallbackInvalid(ContractError):
    """A grader's callback message is not one the contract defines (no submission id, bad token)."""


class SignatureInvalid(ContractError):
    """A callback is unsigned, its signature does not match, or signing is turned off."""


class SignatureStale(ContractError):
    """A correctly signed callback whose timestamp is too old (or too far ahead): a replay."""


class TransitionRefused(ContractError):
    """A submission cannot move from its state to the one asked for."""


class SettingsInvalid(ContractError):
    """A deployment setting has a value that cannot be used (not a number, out of range)."""
