"""Leases and publishing: what the lifecycle needs to grade a submission again and to
publish its score once.

``task_id`` becomes the lease token of the submission's current run; ``leased`` is when
that run was queued, ``started`` when its worker said it started, ``runs`` how many runs
were queued, ``published`` whether a graded submission's score has left the block.
``assignment`` names the row of ``sabaq_assignment`` (instructor notebook, data files and
limits, stored once per version) a run is queued from, and ``callback_url`` where the
worker reports. Rows already graded were published by the version that graded them.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sabaq_xblock.migrations.types import long_text

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sabaq_assignment",
        sa.Column("checksum", sa.String(64), primary_key=True),
        sa.Column("instructor", long_text(), nullable=False),
        sa.Column("files", long_text(), nullable=False),
        sa.Column("limits", sa.Text, nullable=False),
        sa.Column("created", sa.Double, nullable=False),
    )
    with op.batch_alter_table("sabaq_submission") as batch:
        batch.add_column(sa.Column("assignment", sa.String(64), nullable=True))
        batch.add_column(sa.Column("callback_url", sa.Text, nullable=True))
        batch.add_column(sa.Column("leased", sa.Double, nullable=True))
        batch.add_column(sa.Column("started", sa.Double, nullable=True))
        batch.add_column(sa.Column("runs", sa.Integer, nullable=False, server_default="1"))
        batch.add_column(sa.Column("published", sa.Boolean, nullable=True))
    table = sa.table("sabaq_submission", sa.column("state"), sa.column("updated"),
                     sa.column("leased"), sa.column("published", sa.Boolean))
    conn = op.get_bind()
    conn.execute(table.update().where(table.c.state == "graded").values(published=True))
    conn.execute(table.update().where(table.c.state.in_(("queued", "running")))
                 .values(leased=table.c.updated))
    op.create_index("ix_sabaq_submission_pending", "sabaq_submission", ["pending_slot", "leased"])
    op.create_index("ix_sabaq_submission_unpublished", "sabaq_submission", ["state", "published"])


def downgrade() -> None:
    op.drop_index("ix_sabaq_submission_unpublished", "sabaq_submission")
    op.drop_index("ix_sabaq_submission_pending", "sabaq_submission")
    with op.batch_alter_table("sabaq_submission") as batch:
        for name in ("published", "runs", "started", "leased", "callback_url", "assignment"):
            batch.drop_column(name)
    op.drop_table("sabaq_assignment")
