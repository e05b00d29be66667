"""The grading tasks the block queues by name, and the payload of one grading.

The block sends ``GRADE_TASK`` with ``GradeRequest.args()`` and ``GradeRequest.kwargs()``;
the worker's task takes the same names. ``token`` is the lease of this run: the block
issues a fresh one whenever it queues a submission (again), and refuses callbacks that
carry any other, so a late result of a superseded run changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

GRADE_TASK = "sabaq.grade"
PREPARE_TASK = "sabaq.prepare"
LIMIT_NAMES = ("max_notebook_bytes", "max_cells")


@dataclass(frozen=True)
class GradeRequest:
    """One grading of one submission.

    ``files`` maps the assignment's data files to base64 content; ``limits`` are the
    lecturer's (``LIMIT_NAMES``), checked by the worker before any code runs;
    ``callback_url`` is where the worker reports back (none: the result backend only).
    """

    instructor: str
    submission: str
    submission_id: str = ""
    token: str = ""
    callback_url: str | None = None
    files: dict[str, str] = field(default_factory=dict)
    limits: dict[str, int] = field(default_factory=dict)

    def args(self) -> list[str]:
        return [self.instructor, self.submission]

    def kwargs(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.submission_id,
            "token": self.token,
            "callback": {"url": self.callback_url} if self.callback_url else None,
            "files": dict(self.files) or None,
        }
        if self.limits:
            out["limits"] = {k: int(v) for k, v in self.limits.items() if k in LIMIT_NAMES}
        return out

    @classmethod
    def of(
        cls,
        instructor: str,
        submission: str,
        name: str = "",
        token: str = "",
        callback: dict[str, str] | None = None,
        files: dict[str, str] | None = None,
        limits: dict[str, int] | None = None,
    ) -> GradeRequest:
        """The request a worker received as ``args`` and ``kwargs``."""
        url = (callback or {}).get("url") or None
        return cls(instructor, submission, name, token, url, dict(files or {}), dict(limits or {}))
