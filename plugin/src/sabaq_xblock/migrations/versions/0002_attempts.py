"""Attempt numbers and the pending slot, decided by unique indexes; the learner lock table.

Rows already stored are numbered by creation time (a submission that could not be
graded, and a regrade, use no attempt). The newest pending submission of a learner in a
block holds pending slot 1, which a new submission needs; older ones that an earlier race
left pending hold slots 2, 3, ... so they stay pending and are graded too. Done row by row,
which every database allows (MySQL refuses an UPDATE whose subquery reads its own table).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

PENDING = ("queued", "running")


def upgrade() -> None:
    op.add_column("sabaq_submission", sa.Column("attempt", sa.Integer, nullable=True))
    op.add_column("sabaq_submission", sa.Column("pending_slot", sa.Integer, nullable=True))
    table = sa.table("sabaq_submission", sa.column("id"), sa.column("block_id"), sa.column("learner_id"),
                     sa.column("state"), sa.column("created"), sa.column("counts_attempt"),
                     sa.column("attempt"), sa.column("pending_slot"))
    conn = op.get_bind()
    rows = conn.execute(sa.select(table).order_by(table.c.block_id, table.c.learner_id,
                                                  table.c.created, table.c.id)).all()
    numbers: dict[tuple[str, str], int] = {}
    pending_rows: dict[tuple[str, str], list[str]] = {}
    for row in rows:
        scope = (row.block_id, row.learner_id)
        if row.counts_attempt and row.state != "error":
            numbers[scope] = numbers.get(scope, 0) + 1
            conn.execute(table.update().where(table.c.id == row.id).values(attempt=numbers[scope]))
        if row.state in PENDING:
            pending_rows.setdefault(scope, []).append(row.id)
    for ids in pending_rows.values():
        for slot, submission_id in enumerate(reversed(ids), start=1):
            conn.execute(table.update().where(table.c.id == submission_id).values(pending_slot=slot))
    op.create_index("ux_sabaq_submission_attempt", "sabaq_submission",
                    ["block_id", "learner_id", "attempt"], unique=True)
    op.create_index("ux_sabaq_submission_pending", "sabaq_submission",
                    ["block_id", "learner_id", "pending_slot"], unique=True)
    op.create_index("ix_sabaq_submission_recent", "sabaq_submission", ["learner_id", "created"])
    pending = ", ".join(f"'{s}'" for s in PENDING)
    with op.batch_alter_table("sabaq_submission") as batch:
        batch.create_check_constraint(
            "ck_sabaq_submission_pending",
            f"(state IN ({pending}) AND pending_slot >= 1)"
            f" OR (state NOT IN ({pending}) AND pending_slot IS NULL)",
        )
        batch.create_check_constraint("ck_sabaq_submission_attempt", "attempt IS NULL OR state <> 'error'")
    op.create_table(
        "sabaq_learner_lock",
        sa.Column("learner_id", sa.String(255), primary_key=True),
        sa.Column("touched", sa.Double, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sabaq_learner_lock")
    with op.batch_alter_table("sabaq_submission") as batch:
        batch.drop_constraint("ck_sabaq_submission_attempt", type_="check")
        batch.drop_constraint("ck_sabaq_submission_pending", type_="check")
    op.drop_index("ix_sabaq_submission_recent", "sabaq_submission")
    op.drop_index("ux_sabaq_submission_pending", "sabaq_submission")
    op.drop_index("ux_sabaq_submission_attempt", "sabaq_submission")
    op.drop_column("sabaq_submission", "pending_slot")
    op.drop_column("sabaq_submission", "attempt")
