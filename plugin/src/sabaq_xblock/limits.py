"""Per-submission limits a lecturer sets: notebook size and cell count.

A submission is checked here before anything is stored (the handler answers 413),
and the same limits travel with the task so the grading worker refuses, before running
any code, a submission that is over them (as a ``too_large`` grading error). Size is
measured on the stored text: compact UTF-8 JSON, as :func:`serialise` writes it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from . import notebook as nbmod
from .errors import TooLarge

HARD_MAX_KB = nbmod.MAX_NOTEBOOK_BYTES // 1024
HARD_MAX_CELLS = 5000
DEFAULT_MAX_KB = HARD_MAX_KB
DEFAULT_MAX_CELLS = 1000
FORM_OVERHEAD = 64 * 1024  # multipart boundaries and headers around an uploaded file


@dataclass(frozen=True)
class SubmissionLimits:
    """The largest submission a block accepts, in bytes of stored text and in cells."""

    max_bytes: int
    max_cells: int

    @classmethod
    def of(cls, max_notebook_kb: int, max_cells: int) -> SubmissionLimits:
        """The block's field values, kept inside the hard limits whatever was stored."""
        kb = min(max(int(max_notebook_kb), 1), HARD_MAX_KB)
        return cls(kb * 1024, min(max(int(max_cells), 1), HARD_MAX_CELLS))

    def task(self) -> dict[str, int]:
        """The limits as the ``sabaq.grade`` task takes them."""
        return {"max_notebook_bytes": self.max_bytes, "max_cells": self.max_cells}


def serialise(nb: nbmod.Notebook) -> str:
    """The text stored and sent to the grader for a submitted notebook."""
    return json.dumps(nb, ensure_ascii=False, separators=(",", ":"))


def check_size(size: int, limits: SubmissionLimits) -> None:
    if size > limits.max_bytes:
        raise TooLarge("notebook_too_large", limit_kb=limits.max_bytes // 1024)


def checked(nb: nbmod.Notebook, limits: SubmissionLimits) -> str:
    """``nb`` serialised, or ``TooLarge`` when it has too many cells or too many bytes."""
    cells = len(nb.get("cells", []))
    if cells > limits.max_cells:
        raise TooLarge("too_many_cells", cells=cells, limit=limits.max_cells)
    text = serialise(nb)
    check_size(len(text.encode("utf-8")), limits)
    return text


def within(nb: Any, limits: SubmissionLimits) -> bool:
    """Whether ``nb`` (an assignment's own student notebook) fits ``limits``."""
    try:
        checked(nb, limits)
    except TooLarge:
        return False
    return True
