"""The store's Alembic migrations, on every store: from empty, from the schema the previous
version made with ``create_all``, down and up again, as a command, and when processes race."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa
from legacy_schema import first_columns

from sabaq_contract import settings as deployment
from sabaq_xblock import migrations
from sabaq_xblock.backend import CeleryBackend
from sabaq_xblock.database import make_engine
from sabaq_xblock.lifecycle import Lifecycle
from sabaq_xblock.submissions import Admission, SubmissionStore
from sabaq_xblock.widget_checks import Record, WidgetChecks

TABLES = {"sabaq_submission", "sabaq_learner_lock", "sabaq_widget_check", "sabaq_assignment", "sabaq_manual_grade",
          "sabaq_practice_run", migrations.VERSION_TABLE}


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_an_empty_store_is_made_by_the_migrations(db_url: str) -> None:
    assert _tables(db_url) == set()
    store = SubmissionStore(db_url)
    assert migrations.current(store.engine) == migrations.head() == "0007"
    assert _tables(db_url) == TABLES
    sub = store.create("b", "ali", "x" * 200_000, "submit", True, Admission(max_attempts=1))
    assert store.get(sub.id).notebook == "x" * 200_000  # type: ignore[union-attr]  # MySQL's TEXT stops at 64 KB
    checks = WidgetChecks(db_url, "b", "ali")
    assert checks.check("quiz", lambda r: Record(r.attempts + 1, {"a": "y" * 70_000})).attempts == 1
    names = {ix["name"] for ix in sa.inspect(store.engine).get_indexes("sabaq_submission")}
    assert {"ux_sabaq_submission_attempt", "ux_sabaq_submission_pending", "ix_sabaq_submission_recent"} <= names


def _previous_schema(url: str) -> None:
    """The tables exactly as the version before the migrations made them (``create_all``), with rows."""
    pending = "'queued', 'running'"
    meta = sa.MetaData()
    table = sa.Table(
        "sabaq_submission", meta,
        *first_columns(),
        sa.Column("attempt", sa.Integer, nullable=True),
        sa.Column("pending_slot", sa.Integer, nullable=True),
        sa.Index("ix_sabaq_submission_learner", "block_id", "learner_id"),
        sa.Index("ux_sabaq_submission_attempt", "block_id", "learner_id", "attempt", unique=True),
        sa.Index("ux_sabaq_submission_pending", "block_id", "learner_id", "pending_slot", unique=True),
        sa.Index("ix_sabaq_submission_recent", "learner_id", "created"),
        sa.CheckConstraint(f"(state IN ({pending}) AND pending_slot = 1)"
                           f" OR (state NOT IN ({pending}) AND pending_slot IS NULL)",
                           name="ck_sabaq_submission_pending"),
        sa.CheckConstraint("attempt IS NULL OR state <> 'error'", name="ck_sabaq_submission_attempt"),
    )
    sa.Table("sabaq_learner_lock", meta, sa.Column("learner_id", sa.String(255), primary_key=True),
             sa.Column("touched", sa.Float, nullable=False))
    checks = sa.Table(
        "sabaq_widget_check", meta,
        sa.Column("block_id", sa.String(255), primary_key=True),
        sa.Column("learner_id", sa.String(255), primary_key=True),
        sa.Column("model_id", sa.String(255), primary_key=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("response", sa.Text, nullable=False),
        sa.Column("result", sa.Text, nullable=False),
        sa.Column("updated", sa.Float, nullable=False),
    )
    engine = sa.create_engine(url)
    meta.create_all(engine)
    with engine.begin() as conn:
        for sid, state, attempt, slot in (("g", "graded", 1, None), ("e", "error", None, None),
                                          ("q", "queued", 2, 1)):
            conn.execute(table.insert().values(
                id=sid, block_id="old", learner_id="nida", kind="submit", state=state, task_id=f"task-{sid}",
                created=10.0, updated=20.0, notebook="{}", score=1.0 if state == "graded" else None,
                max_score=1.0 if state == "graded" else None, counts_attempt=True, attempt=attempt,
                pending_slot=slot))
        conn.execute(checks.insert().values(block_id="old", learner_id="nida", model_id="quiz", attempts=2,
                                            response="{}", result="{}", updated=1.0))
    engine.dispose()


def test_the_previous_schema_is_upgraded_with_its_rows(db_url: str, tmp_path: Path) -> None:
    _previous_schema(db_url)
    store = SubmissionStore(db_url)
    assert migrations.current(store.engine) == migrations.head()
    rows = {s.id: s for s in store.for_learner("old", "nida")}
    assert {k: (s.state, s.attempt, s.published, s.runs) for k, s in rows.items()} == {
        "g": ("graded", 1, True, 1), "e": ("error", None, None, 1), "q": ("queued", 2, None, 1)}
    assert rows["q"].leased == 20.0 and rows["q"].task_id == "task-q"
    assert WidgetChecks(db_url, "old", "nida").records()["quiz"].attempts == 2
    settings = deployment.load({"DATA_DIR": str(tmp_path), "SUBMISSIONS_DB": db_url}, {})
    life = Lifecycle(store, CeleryBackend(settings), settings)
    report = {"status": "graded", "score": 1.0, "max_score": 1.0, "tests": []}
    published: list[str] = []
    life.finish("q", "task-q", report, lambda sub: published.append(sub.id))
    assert published == ["q"] and life.reconcile(lambda sub: published.append(sub.id), grace=0).published == []


def test_down_to_nothing_and_up_again(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        migrations.upgrade(engine)
        migrations.downgrade(engine, "base")
        assert _tables(db_url) <= {migrations.VERSION_TABLE}
        migrations.upgrade(engine)
        assert _tables(db_url) == TABLES and migrations.current(engine) == migrations.head()
    finally:
        engine.dispose()


def test_the_command_upgrades_and_shows(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    command = [sys.executable, "-m", "sabaq_xblock.migrations", "--url", url]
    shown = subprocess.run([*command, "--show"], capture_output=True, text=True, check=True).stdout
    assert shown.strip() == f"current: None  head: {migrations.head()}"
    done = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    assert done.strip() == f"current: {migrations.head()}  head: {migrations.head()}"
    assert _tables(url) == TABLES


def test_processes_opening_a_new_store_at_once_all_find_it_migrated(db_url: str) -> None:
    """Four processes upgrade one empty store together; each ends at the newest revision.

    (Within one process, ``database.engine`` opens each store once, under a lock.)"""
    command = [sys.executable, "-m", "sabaq_xblock.migrations", "--url", db_url]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(4)]
    outcomes = [(run.wait(timeout=120), *run.communicate()) for run in runs]
    assert [code for code, _, _ in outcomes] == [0] * 4, outcomes
    assert {out.strip() for _, out, _ in outcomes} == {f"current: {migrations.head()}  head: {migrations.head()}"}
    assert _tables(db_url) == TABLES
