"""A small burst through the benchmark's own core (``bench/bench_burst.py``): 20 learners
submit at once over a real workbench to two real Celery workers on Redis and PostgreSQL."""

from __future__ import annotations

import socket

import pytest
import servers
import sqlalchemy as sa

pytestmark = [pytest.mark.services, pytest.mark.slow]


def _unreachable() -> str | None:
    """Why Redis or PostgreSQL cannot be used here, or None."""
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=3).close()
    except OSError as error:
        return f"Redis at 127.0.0.1:6379 is unreachable: {error}"
    engine = sa.create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/test")
    try:
        engine.connect().close()
    except sa.exc.OperationalError as error:
        return f"PostgreSQL at 127.0.0.1:5432 is unreachable: {error.orig}"
    finally:
        engine.dispose()
    return None


def test_a_burst_is_graded_and_published_once_with_status_throughout() -> None:
    reason = _unreachable()
    if reason:
        pytest.skip(reason)
    bench = servers.burst_bench()
    burst = bench.run_burst(submissions=20, workers=2, broker="redis", store="postgresql",
                            threads=16, pollers=4, stall=120.0)
    assert burst.submit_errors == []
    assert (burst.graded, burst.errors, burst.lost, burst.wrong_scores) == (20, 0, 0, 0)
    assert sorted(burst.publishes.values()) == [1] * 20  # each learner's score left the block once
    assert len(burst.publishes) == 20 and burst.published_flags == 20
    assert burst.poll_errors == []
    assert burst.runs == {1: 20}
