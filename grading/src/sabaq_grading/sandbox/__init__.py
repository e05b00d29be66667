"""The sandboxed, pre-forked executor that runs students' notebook cells for grading.

Each worker is a long-lived *zygote*: a Python interpreter started as root inside
bubblewrap (no network, read-only system, only the capabilities needed to switch users, a
system call filter that closes the kernel's keyrings, which no namespace separates),
with IPython and the preload modules imported and one pristine shell built. It never runs
student code. For every submission it has already forked a spare child that dropped to a
fresh unprivileged uid with its own scratch directory; the host hands that child a private
channel and sends it the cells one at a time (tests only when their turn comes). Test cells
run hardened: the runner restores what student code may have tampered with and executes the
test itself, and a pass counts only with a per-test proof that no frame of the runner holds.
A cell past its time limit is interrupted (KeyboardInterrupt) like Jupyter and nbgrader do,
and the run goes on; if it does not stop within a second, the job is killed. Afterwards the
zygote kills every process of the submission and wipes its files.

Cheap to import: the heavy machinery starts only when an :class:`Executor` is created.
"""

from .executor import Executor
from .launch import sandbox_available
from .models import Cell, CellResult, Limits, RunResult

__all__ = ["Cell", "CellResult", "Executor", "Limits", "RunResult", "sandbox_available"]
