"""The sandboxed, pre-forked executor that runs students' notebook cells for grading.

Cheap to import: the heavy machinery starts only when an :class:`Executor` is created.
"""

from .executor import Executor
from .launch import sandbox_available
from .models import Cell, CellResult, Limits, RunResult

__all__ = ["Cell", "CellResult", "Executor", "Limits", "RunResult", "sandbox_available"]
