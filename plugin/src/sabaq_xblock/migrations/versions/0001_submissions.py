"""Submissions: one row per submission, its state and its grade report.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sabaq_xblock.migrations.types import long_text

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sabaq_submission",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("block_id", sa.String(255), nullable=False),
        sa.Column("learner_id", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("task_id", sa.String(64), nullable=False),
        sa.Column("created", sa.Double, nullable=False),
        sa.Column("updated", sa.Double, nullable=False),
        sa.Column("notebook", long_text(), nullable=False),
        sa.Column("report", long_text(), nullable=True),
        sa.Column("score", sa.Double, nullable=True),
        sa.Column("max_score", sa.Double, nullable=True),
        sa.Column("counts_attempt", sa.Boolean, nullable=False),
    )
    op.create_index("ix_sabaq_submission_block_id", "sabaq_submission", ["block_id"])
    op.create_index("ix_sabaq_submission_learner", "sabaq_submission", ["block_id", "learner_id"])


def downgrade() -> None:
    op.drop_table("sabaq_submission")
