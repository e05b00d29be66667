"""The submissions table as the first versions made it with ``create_all`` (before migrations)."""

from __future__ import annotations

import sqlalchemy as sa


def first_columns() -> list[sa.Column[object]]:
    """The columns of the first ``sabaq_submission`` table, before attempt numbers."""
    return [
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("block_id", sa.String(255), nullable=False, index=True),
        sa.Column("learner_id", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("task_id", sa.String(64), nullable=False, default=""),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("updated", sa.Float, nullable=False),
        sa.Column("notebook", sa.Text, nullable=False),
        sa.Column("report", sa.Text, nullable=True),
        sa.Column("score", sa.Float, nullable=True),
        sa.Column("max_score", sa.Float, nullable=True),
        sa.Column("counts_attempt", sa.Boolean, nullable=False),
    ]
