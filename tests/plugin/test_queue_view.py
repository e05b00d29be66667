"""The queue in view: ``python -m sabaq_xblock.queue`` (and ``sabaq queue``) over a real store.

Submissions are put in every state through the real lifecycle (the block's Celery backend on
the embedded broker), on each store; the command runs as a subprocess with the deployment's
``SABAQ_*`` settings, as an operator runs it. One test starts a real worker on the machine's
Redis and checks that it is counted alive.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import notebooks
import pytest
import servers

from sabaq_contract import report as reports
from sabaq_contract import settings as deployment
from sabaq_xblock.assignments import Assignment
from sabaq_xblock.backend import CeleryBackend
from sabaq_xblock.lifecycle import Lifecycle
from sabaq_xblock.submissions import Submission, SubmissionStore

BIN = Path(sys.executable).parent
GRADED = {"schema_version": 1, "status": "graded", "score": 2.0, "max_score": 3.0, "tests": []}
ASSIGNMENT = Assignment(json.dumps(notebooks.instructor()), {}, {"max_cells": 100, "max_notebook_bytes": 10**6})


def _env(tmp_path: Path, db_url: str, **more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SABAQ_")}
    env.update({"SABAQ_DATA_DIR": str(tmp_path / "queue"), "SABAQ_SUBMISSIONS_DB": db_url, "SABAQ_MAX_RUNS": "1",
                "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}", **more})
    return env


def _lifecycle(env: dict[str, str], **more: str) -> Lifecycle:
    settings = deployment.load(more, env)
    return Lifecycle(SubmissionStore(settings.submissions_db), CeleryBackend(settings), settings)


def _submit(life: Lifecycle, learner: str, block: str = "block") -> Submission:
    return life.submit(block, learner, json.dumps(notebooks.student()), "submit", ASSIGNMENT, None, None)


def _queue(env: dict[str, str], *args: str, command: tuple[str, ...] | None = None) -> subprocess.CompletedProcess[str]:
    argv = command or (sys.executable, "-m", "sabaq_xblock.queue")
    return subprocess.run([*argv, *args], env=env, capture_output=True, text=True, timeout=120)


def _fill(env: dict[str, str]) -> dict[str, str]:
    """One submission in each state the view tells apart; their ids by role."""
    given_up = _lifecycle(env, QUEUE_TIMEOUT="0")
    dead = _submit(given_up, "dina")
    assert given_up.reconcile(None, grace=0).given_up == [dead.id]  # MAX_RUNS=1: no second run
    life = _lifecycle(env)
    published: list[str] = []
    oldest = _submit(life, "ali")
    time.sleep(0.05)
    running = _submit(life, "bano")
    life.start(running.id, running.task_id)
    graded = _submit(life, "chand")
    life.finish(graded.id, graded.task_id, GRADED, lambda sub: published.append(sub.id))
    waiting = _submit(life, "emaan")
    life.finish(waiting.id, waiting.task_id, GRADED, None)  # graded, its score not out yet
    timeout = _submit(life, "faraz")
    life.finish(timeout.id, timeout.task_id, reports.error_report("timeout", "a cell ran too long"), None)
    elsewhere = _submit(life, "ali", block="other")
    assert published == [graded.id]
    return {"dead": dead.id, "oldest": oldest.id, "running": running.id, "elsewhere": elsewhere.id}


def test_the_command_prints_the_store_figures(tmp_path: Path, db_url: str) -> None:
    env = _env(tmp_path, db_url)
    ids = _fill(env)
    done = _queue(env, "--json")
    assert done.returncode == 0, done.stderr
    seen: dict[str, Any] = json.loads(done.stdout)
    assert seen["states"] == {"queued": 2, "running": 1, "graded": 2, "error": 2}
    assert (seen["pending"], seen["queued"], seen["running"]) == (3, 2, 1)
    assert seen["oldest_waiting_id"] == ids["oldest"] and 0 < seen["oldest_waiting_seconds"] < 120
    assert seen["failures_last_hour"] == 2
    assert seen["failure_kinds"] == {"grader_failure": 1, "timeout": 1}
    assert (seen["dead_letters"], seen["dead_letter_ids"]) == (1, [ids["dead"]])
    assert seen["unpublished"] == 1
    assert seen["workers"]["reachable"] and not seen["workers"]["counted"]  # the embedded broker
    assert "broadcasts" in seen["workers"]["note"]

    block = json.loads(_queue(env, "--json", "--block", "other", "--no-workers").stdout)
    assert block["states"] == {"queued": 1, "running": 0, "graded": 0, "error": 0}
    assert block["oldest_waiting_id"] == ids["elsewhere"] and block["workers"] is None

    shown = _queue(env, "--no-workers", command=(str(BIN / "sabaq"), "queue"))
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0].startswith("Grading queue (all blocks)")
    assert "  states            queued 2  running 1  graded 2  error 2" in lines
    assert "  pending           3 (2 queued, 1 running)" in lines
    assert f"  dead letters      1 ({ids['dead']})" in lines
    assert "  failures, 1 h     2 (grader_failure 1, timeout 1)" in lines


def test_an_unreachable_store_or_broker_is_said_with_its_exit_code(tmp_path: Path) -> None:
    port = servers.free_port()
    env = _env(tmp_path, f"postgresql+psycopg://postgres@127.0.0.1:{port}/test")
    down = _queue(env, "--json")
    assert down.returncode == 3 and down.stdout == ""
    assert "the submissions store (postgresql+psycopg://postgres@127.0.0.1:" in down.stderr
    assert "cannot be read" in down.stderr

    env = _env(tmp_path, f"sqlite:///{tmp_path / 'store.sqlite'}",
               SABAQ_BROKER_URL=f"redis://:secret@127.0.0.1:{port}/0")
    broker = _queue(env, "--json", "--timeout", "0.5")
    assert broker.returncode == 4, broker.stderr
    figures = json.loads(broker.stdout)
    assert figures["pending"] == 0 and figures["workers"]["reachable"] is False
    assert f"the broker (redis://:***@127.0.0.1:{port}/0) cannot be reached" in broker.stderr
    assert "secret" not in broker.stderr + broker.stdout

    bad = _queue(_env(tmp_path, "sqlite://", SABAQ_MAX_RUNS="many"))
    assert bad.returncode == 2 and "bad settings" in bad.stderr


def test_without_the_block_sabaq_queue_says_what_it_needs(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(
        "import sys\nclass _No:\n    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'sabaq_xblock':\n            raise ImportError('no ' + name)\n"
        "sys.meta_path.insert(0, _No())\n", "utf-8")
    env = _env(tmp_path, "sqlite://", PYTHONPATH=str(blocker))
    done = _queue(env, command=(str(BIN / "sabaq"), "queue"))
    assert done.returncode == 2
    assert "needs the block's package (pip install sabaq-xblock)" in done.stderr


def _redis_db() -> str:
    import redis

    try:
        redis.Redis(host="127.0.0.1", port=6379, db=12, socket_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis at 127.0.0.1:6379 is unreachable")
    return "redis://127.0.0.1:6379/12"


def test_a_live_worker_on_redis_is_counted(tmp_path: Path) -> None:
    broker = _redis_db()
    name = f"queue-view-{uuid.uuid4().hex[:8]}"
    env = _env(tmp_path, f"sqlite:///{tmp_path / 'store.sqlite'}", SABAQ_BROKER_URL=broker,
               SABAQ_QUEUE=name)
    if os.geteuid() == 0:
        env["C_FORCE_ROOT"] = "1"
    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(
        [str(BIN / "celery"), "-A", "sabaq_grading.worker", "worker", "--pool", "solo", "-Q", name,
         "-n", f"{name}@%h", "--without-heartbeat", "--without-gossip", "--without-mingle", "-l", "warning"],
        cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline, seen = time.monotonic() + 90, {}
        while time.monotonic() < deadline:
            done = _queue(env, "--json", "--timeout", "1")
            assert done.returncode == 0, done.stderr
            seen = json.loads(done.stdout)["workers"]
            if any(alive.startswith(f"{name}@") for alive in seen["alive"]):
                break
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()
            time.sleep(1)
        mine = [alive for alive in seen["alive"] if alive.startswith(f"{name}@")]
        assert seen["counted"] and len(mine) == 1 and seen["active"][mine[0]] == 0
        shown = _queue(env, "--timeout", "1").stdout
        assert f"{mine[0]} (0 active)" in shown
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.pid, 15)
        worker.wait(timeout=30)
        log.close()
