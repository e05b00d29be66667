"""The sandboxes one grader keeps: an executor per set of preloaded libraries.

Importing this module does not import nbformat or nbgrader, so a command can start the
sandboxes (about a quarter of a second of zygote start) before it imports the rest of
the engine, and the two overlap.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import os
import threading
from pathlib import Path

from .preload import HEAVY, imported_packages, notebook_sources, preload_for
from .sandbox import Executor, Limits

MAX_PRELOAD_SETS = 3  # distinct sandbox preloads one grader keeps (each has its own zygotes)


def oversubscribed(parallel: int) -> str | None:
    """Why ``parallel`` runs at once are too many for this process's cores, or None.

    Time limits are wall-clock, as nbgrader's: runs that share a core run slower, so a
    verdict near the limit would depend on how busy the grader is.
    """
    cores = len(os.sched_getaffinity(0))
    if parallel <= cores:
        return None
    return (f"{parallel} sandboxes in parallel are more than the {cores} cores this grader may use: "
            "submissions then share cores, and a cell that needs most of its time limit may time out "
            "only because the grader is busy (nbgrader grades one at a time, with a core to itself)")


class Sandboxes:
    """Executors by preload, each made on first use; safe to share between threads.

    ``fixed`` preloads the same libraries for everything (a deployment's setting); else each
    set gets its own executor, at most :data:`MAX_PRELOAD_SETS`, and any set beyond them
    shares the executor that preloads every heavy library, so the number of zygotes stays
    bounded. One being started holds up only the runs that need it.
    """

    def __init__(self, workers: int = 1, limits: Limits | None = None, *, unsafe_no_sandbox: bool = False,
                 fixed: tuple[str, ...] | None = None) -> None:
        self.workers = workers
        self.limits = limits or Limits()
        self.unsafe_no_sandbox = unsafe_no_sandbox
        self.fixed = fixed
        self._lock = threading.Lock()
        self._executors: dict[tuple[str, ...], concurrent.futures.Future[Executor]] = {}

    def started(self) -> tuple[tuple[str, ...], ...]:
        """The preload sets that have an executor (started or starting)."""
        with self._lock:
            return tuple(self._executors)

    def executor_for(self, preload: tuple[str, ...], initial: int | None = None) -> Executor:
        """The executor whose sandboxes have ``preload`` imported; blocks while it starts.

        ``initial``: start only that many of its workers now, the rest when runs wait.
        """
        if self.fixed is not None:
            preload = self.fixed
        with self._lock:
            if preload not in self._executors and len(self._executors) >= MAX_PRELOAD_SETS:
                preload = preload_for(frozenset(HEAVY))
            made = self._executors.get(preload)
            starting = made is None
            if made is None:
                made = self._executors[preload] = concurrent.futures.Future()
        if starting:
            try:
                made.set_result(Executor(self.workers, self.limits, unsafe_no_sandbox=self.unsafe_no_sandbox,
                                         preload=preload, initial=initial))
            except BaseException as error:
                with self._lock:
                    del self._executors[preload]
                made.set_exception(error)
                raise
        return made.result()

    def executor_for_run(self, base: tuple[str, ...], better: tuple[str, ...]) -> Executor:
        """The executor for ``better`` if it is ready, else ``base``'s while ``better``'s starts.

        A run that would be faster with more preloaded never waits for those sandboxes to start
        (which costs more than the imports they save one run): it runs as it would without
        them, and the runs after it get them.
        """
        if self.fixed is not None or better == base:
            return self.executor_for(base)
        with self._lock:
            made = self._executors.get(better)
            full = better not in self._executors and len(self._executors) >= MAX_PRELOAD_SETS
        if made is not None and made.done() and made.exception() is None:
            return made.result()
        if made is None and not full:  # one worker for now: few runs may want it
            threading.Thread(target=self._start_quietly, args=(better, 1), name="sabaq-sandbox-start",
                             daemon=True).start()
        return self.executor_for(base)

    def start(self, instructor: Path | None = None) -> None:
        """Start an executor now, in the background, rather than on the first run.

        With ``instructor``, the one its imports call for (read as plain JSON: no nbformat).
        """
        preload = self.fixed or ()
        if instructor is not None:
            with contextlib.suppress(OSError, ValueError):
                notebook = json.loads(instructor.read_text("utf-8"))
                preload = preload_for(imported_packages(notebook_sources(notebook)))
        threading.Thread(target=self._start_quietly, args=(preload,), name="sabaq-sandbox-start",
                         daemon=True).start()

    def _start_quietly(self, preload: tuple[str, ...], initial: int | None = None) -> None:
        with contextlib.suppress(Exception):  # the first run that needs it raises the error
            self.executor_for(preload, initial)

    def close(self) -> None:
        with self._lock:
            executors, self._executors = list(self._executors.values()), {}
        for made in executors:
            try:
                executor = made.result()
            except Exception:  # it failed to start: nothing to close
                continue
            executor.close()
