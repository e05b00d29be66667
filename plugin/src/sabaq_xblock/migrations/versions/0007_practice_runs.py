"""Practice runs: when each learner's recent runs began, for the practice rate limit.

A row holds no code and no result (a practice run is never a submission); rows older than
the rate window are deleted as the learner's next run is admitted.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sabaq_practice_run",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("learner_id", sa.String(255), nullable=False),
        sa.Column("block_id", sa.String(255), nullable=False),
        sa.Column("created", sa.Double, nullable=False),
    )
    op.create_index("ix_sabaq_practice_run_learner", "sabaq_practice_run", ["learner_id", "created"])


def downgrade() -> None:
    op.drop_index("ix_sabaq_practice_run_learner", "sabaq_practice_run")
    op.drop_table("sabaq_practice_run")
