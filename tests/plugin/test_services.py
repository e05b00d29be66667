"""The scaled-out setups, chosen by settings alone: Redis as broker and result backend with
PostgreSQL for submissions, and RabbitMQ as broker with MariaDB for results and submissions."""

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
import sqlalchemy as sa
from stores import mariadb_database

from sabaq_contract import settings as deployment
from sabaq_xblock.submissions import SubmissionStore

pytestmark = [pytest.mark.services, pytest.mark.slow]
PSQL = ["psql", "-h", "/var/run/postgresql", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c"]


def _redis_and_postgresql(stack: contextlib.ExitStack, queue: str) -> dict[str, str]:
    name = f"sabaq_plugin_{uuid.uuid4().hex[:10]}"
    try:
        subprocess.run([*PSQL, f"CREATE DATABASE {name}"], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as error:
        pytest.skip(f"PostgreSQL on /var/run/postgresql is unreachable: {error}")
    stack.callback(subprocess.run, [*PSQL, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"],
                   check=True, capture_output=True)

    def forget_queue() -> None:
        import redis

        client = redis.Redis(host="127.0.0.1", port=6379, db=13)
        for key in client.scan_iter(match=f"*{queue}*"):
            client.delete(key)

    stack.callback(forget_queue)
    return {"SABAQ_BROKER_URL": "redis://127.0.0.1:6379/13", "SABAQ_RESULT_BACKEND": "redis://127.0.0.1:6379/13",
            "SABAQ_SUBMISSIONS_DB": f"postgresql+psycopg:///{name}?host=/var/run/postgresql"}


def _rabbitmq_and_mariadb(stack: contextlib.ExitStack, queue: str, server: str | None) -> dict[str, str]:
    if server is None:
        pytest.skip("MariaDB is not installed (Debian package mariadb-server; bash .ci/setup installs it)")
    url, drop = mariadb_database(server)
    stack.callback(drop)

    def delete_queue() -> None:
        from kombu import Connection

        with Connection("amqp://guest:guest@127.0.0.1:5672//") as conn:
            conn.default_channel.queue_delete(queue)

    stack.callback(delete_queue)
    return {"SABAQ_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//",
            "SABAQ_RESULT_BACKEND": "db+" + url, "SABAQ_SUBMISSIONS_DB": url}


@pytest.fixture(scope="module", params=["redis-postgresql", "rabbitmq-mariadb"])
def scaled(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root: Path = tmp_path_factory.mktemp(request.param)
    (root / "scenarios").mkdir()
    (root / "scenarios" / "adding.xml").write_text(notebooks.olx(), "utf-8")
    port = servers.free_port()
    env = servers.environment(root, port)
    queue = f"sabaq-test-{uuid.uuid4().hex[:8]}"
    with contextlib.ExitStack() as stack:
        if request.param == "redis-postgresql":
            env.update(_redis_and_postgresql(stack, queue), SABAQ_QUEUE=queue)
        else:
            env.update(_rabbitmq_and_mariadb(stack, queue, request.getfixturevalue("mariadb_server")),
                       SABAQ_QUEUE=queue)
        base = stack.enter_context(servers.workbench(root, env, port))
        stack.enter_context(servers.worker(root, env, queue=queue))
        yield {"base": base, "env": env, "root": root}


def test_grading_through_the_chosen_broker_and_store(scaled: dict[str, Any]) -> None:
    learner = servers.Client(scaled["base"], "scaled-learner")
    usage = learner.usage_id("sabaq_notebook.0")
    _, data = learner.post(usage, "submit", {"answers": {"add": "def add(a, b):\n    return a + b"}})
    final = learner.wait_final(usage, data["submission_id"])
    assert final["state"] == "graded" and final["score"] == 3.0
    url = scaled["env"]["SABAQ_SUBMISSIONS_DB"]
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT learner_id, state, score, runs, published, started IS NOT NULL"
                                    " FROM sabaq_submission")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [("scaled-learner", "graded", 3.0, 1, True, True)]
    settings = deployment.load({}, scaled["env"])
    sub = SubmissionStore(url).for_learner(str(usage), "scaled-learner")[0]
    from sabaq_xblock.backend import CeleryBackend

    assert CeleryBackend(settings).poll(sub.task_id).report == sub.report  # the result backend agrees
