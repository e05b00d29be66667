"""The public executor: a pool of warm zygotes that run submissions in parallel.

``run()`` takes an idle worker, runs the submission and gives the worker back. A worker
whose zygote died is reported in that run's result and replaced in the background, off
the critical path of later runs.
"""

from __future__ import annotations

import concurrent.futures
import logging
import queue
import threading
import time
from collections.abc import Mapping, Sequence
from types import TracebackType

from ..errors import SandboxUnavailable
from . import launch
from .models import Cell, CellResult, Limits, RunResult
from .runtime import wire
from .worker import StaleWorker, Worker, check_environment, check_path

log = logging.getLogger(__name__)


class Executor:
    """Runs notebook cells of submissions fast, sandboxed and tamper-resistantly.

    ``workers`` zygotes are started up front, or with ``initial`` only that many, and one more
    (up to ``workers``) each time a run finds none idle; ``run`` is thread-safe and up to
    ``workers`` runs proceed in parallel. Raises :class:`SandboxUnavailable` when the sandbox cannot be
    set up, unless ``unsafe_no_sandbox`` (plain forked processes, no isolation) is given.
    """

    def __init__(self, workers: int = 1, limits: Limits = Limits(), *,  # noqa: B008 - frozen
                 unsafe_no_sandbox: bool = False,
                 preload: Sequence[str] = ("numpy", "pandas", "matplotlib"),
                 initial: int | None = None) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        initial = workers if initial is None else min(max(initial, 1), workers)
        self.workers = workers
        self.limits = limits
        self._unsafe = unsafe_no_sandbox
        self._preload = tuple(preload)
        if unsafe_no_sandbox:
            log.warning("SABAQ GRADING SANDBOX DISABLED: student code runs without isolation, "
                        "as this user, with network and file system access. Never do this with "
                        "untrusted submissions.")
        else:
            reason = launch.sandbox_available()
            if reason is not None:
                raise SandboxUnavailable(reason)
        self._idle: queue.Queue[Worker | None] = queue.Queue()
        self._all: list[Worker] = []
        self._lock = threading.Lock()
        self._closed = False
        # Zygotes die with the thread that started them (bubblewrap's --die-with-parent is a
        # parent-death signal, which Linux ties to the creating thread), so they are all
        # started by these threads, which live exactly as long as this Executor.
        self._spawner = concurrent.futures.ThreadPoolExecutor(
            workers, thread_name_prefix="sabaq-sandbox-spawner")
        self._starting = 0  # workers being started in the background
        futures = [self._spawner.submit(Worker, self._preload, unsafe_no_sandbox)
                   for _ in range(initial)]
        try:
            for future in futures:
                self._add(future.result())
        except BaseException:
            concurrent.futures.wait(futures)
            self.close()
            for future in futures:  # started, but never added to the pool
                if future.exception() is None:
                    future.result().close()
            raise
        for warning in self._all[0].warnings:
            log.warning("sandbox: %s", warning)

    def _add(self, worker: Worker) -> None:
        with self._lock:
            if self._closed:
                worker.close()
                return
            self._all.append(worker)
        self._idle.put(worker)

    def _replace(self, broken: Worker) -> None:
        with self._lock:
            if broken in self._all:
                self._all.remove(broken)
        broken.close()
        self._spawn("replace a dead sandbox worker")

    def _spawn(self, purpose: str, limit: int | None = None) -> None:
        """Start a worker in the background (unless ``limit`` workers exist or are starting)."""
        with self._lock:
            if self._closed or (limit is not None and len(self._all) + self._starting >= limit):
                return
            self._starting += 1

        def start() -> None:
            worker: Worker | None = None
            try:
                worker = Worker(self._preload, self._unsafe)
            except SandboxUnavailable as exc:
                log.error("cannot %s: %s", purpose, exc)
            with self._lock:
                self._starting -= 1
                stranded = worker is None and not self._all and not self._starting
            if worker is not None:
                self._add(worker)
            elif stranded:  # nobody left to serve waiting runs: wake them
                self._idle.put(None)

        try:
            self._spawner.submit(start)
        except RuntimeError:  # closed meanwhile
            with self._lock:
                self._starting -= 1

    def run(self, cells: Sequence[Cell], files: Mapping[str, bytes] | None = None,
            limits: Limits | None = None, environment: Mapping[str, str] | None = None) -> RunResult:
        """Run ``cells`` in order in one fresh sandboxed process; blocks until done.

        ``environment`` adds variables to the process's environment (such as nbgrader's
        ``NBGRADER_EXECUTION``); the sandbox's own (``HOME``, ``TMPDIR``...) cannot be changed.
        """
        started = time.perf_counter()
        limits = limits or self.limits
        cells = list(cells)
        files = {check_path(name): bytes(data) for name, data in (files or {}).items()}
        environment = check_environment(environment or {})
        if self._closed:
            raise RuntimeError("this Executor is closed")
        while True:
            if self._idle.empty():
                self._spawn("add a sandbox worker", limit=self.workers)
            worker = self._idle.get()
            if worker is None:
                self._idle.put(None)
                raise SandboxUnavailable("no sandbox worker is available: replacing a dead one "
                                         "failed")
            try:
                worker.settle()
            except StaleWorker as exc:
                log.warning("replacing a sandbox worker: %s; its log says: %s", exc,
                            worker.log_tail())
                self._replace(worker)
                continue
            break
        try:
            result = worker.run(cells, files, limits, started, environment)
        except (wire.WireError, TimeoutError, OSError) as exc:
            detail = worker.log_tail()
            self._replace(worker)
            return RunResult([CellResult(c.cell_id, "not_run", [], None, 0.0) for c in cells],
                             "crashed", f"the sandbox worker failed during this run ({exc}); "
                                        f"it is being replaced. Its log says: {detail}",
                             0.0, (time.perf_counter() - started) * 1000.0)
        except BaseException:
            self._replace(worker)
            raise
        self._idle.put(worker)
        return result

    def close(self) -> None:
        """Stop every zygote; running calls to ``run`` fail."""
        with self._lock:
            self._closed = True
            workers, self._all = self._all, []
        for worker in workers:
            worker.close()
        self._spawner.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
