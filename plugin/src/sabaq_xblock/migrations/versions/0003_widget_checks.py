"""Widget checks: each learner's count, last answer and verdict per quiz widget.

A database whose widget table ``create_all`` made before the migrations keeps it.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sabaq_xblock.migrations.types import long_text

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("sabaq_widget_check"):
        return
    op.create_table(
        "sabaq_widget_check",
        sa.Column("block_id", sa.String(255), primary_key=True),
        sa.Column("learner_id", sa.String(255), primary_key=True),
        sa.Column("model_id", sa.String(255), primary_key=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("response", long_text(), nullable=False),
        sa.Column("result", long_text(), nullable=False),
        sa.Column("updated", sa.Double, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sabaq_widget_check")
