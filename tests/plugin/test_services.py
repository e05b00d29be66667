"""The scaled-out setup: Redis as broker and result backend, PostgreSQL for submissions."""

from __future__ import annotations

import contextlib
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import notebooks
import pytest
import servers

pytestmark = [pytest.mark.services, pytest.mark.slow]


@pytest.fixture(scope="module")
def scaled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    name = f"sabaq_plugin_{uuid.uuid4().hex[:10]}"
    psql = ["psql", "-h", "/var/run/postgresql", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c"]
    subprocess.run([*psql, f"CREATE DATABASE {name}"], check=True, capture_output=True)
    root: Path = tmp_path_factory.mktemp("scaled")
    (root / "scenarios").mkdir()
    (root / "scenarios" / "adding.xml").write_text(notebooks.olx(), "utf-8")
    port = servers.free_port()
    env = servers.environment(root, port)
    env.update(
        SABAQ_BROKER_URL="redis://127.0.0.1:6379/13",
        SABAQ_RESULT_BACKEND="redis://127.0.0.1:6379/13",
        SABAQ_QUEUE=f"sabaq-test-{uuid.uuid4().hex[:8]}",
        SABAQ_SUBMISSIONS_DB=f"postgresql+psycopg:///{name}?host=/var/run/postgresql",
    )
    try:
        with contextlib.ExitStack() as stack:
            base = stack.enter_context(servers.workbench(root, env, port))
            stack.enter_context(servers.worker(root, env, queue=env["SABAQ_QUEUE"]))
            yield {"base": base, "db": name}
    finally:
        subprocess.run([*psql, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"],
                       check=True, capture_output=True)
        import redis

        client = redis.Redis(host="127.0.0.1", port=6379, db=13)
        for key in client.scan_iter(match=f"*{env['SABAQ_QUEUE']}*"):
            client.delete(key)


def test_grading_through_redis_and_postgresql(scaled: dict[str, Any]) -> None:
    learner = servers.Client(scaled["base"], "scaled-learner")
    usage = learner.usage_id("sabaq_notebook.0")
    _, data = learner.post(usage, "submit", {"answers": {
        "add": "def add(a, b):\n    return a + b"}})
    final = learner.wait_final(usage, data["submission_id"])
    assert final["state"] == "graded" and final["score"] == 3.0
    rows = subprocess.run(
        ["psql", "-h", "/var/run/postgresql", "-d", scaled["db"], "-Atc",
         "SELECT learner_id, state, score FROM sabaq_submission"],
        check=True, capture_output=True, text=True).stdout.split()
    assert rows == ["scaled-learner|graded|3"]
