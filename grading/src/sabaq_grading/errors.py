"""Typed errors raised by the grading engine and the ``sabaq`` command.

Every error says what went wrong and what to do about it; the CLI maps each
class to an exit code in one place (``sabaq_grading.cli``).
"""

from __future__ import annotations

from sabaq_contract.bundles import BundleError  # the format's owner raises them (re-exported here)
from sabaq_contract.keys import KeyFileError

__all__ = ["BundleError", "CourseError", "KeyFileError", "NotebookError", "SabaqError", "SandboxUnavailable",
           "UsageError", "ValidationFailed"]


class SabaqError(Exception):
    """Base class of every error Sabaq raises on purpose."""


class UsageError(SabaqError):
    """The command line names something that does not exist or cannot be used."""


class CourseError(SabaqError):
    """A course directory or its ``course.toml`` is wrong."""


class NotebookError(SabaqError):
    """A notebook cannot be read or does not follow the nbgrader cell format."""


class SandboxUnavailable(SabaqError):
    """The sandbox for student code cannot be set up on this machine."""


class ValidationFailed(SabaqError):
    """``sabaq validate`` found problems that make an assignment unsound."""

