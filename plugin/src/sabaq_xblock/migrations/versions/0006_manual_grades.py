"""Manual grades: the points and comments tutors give the cells nbgrader leaves to a person.

A grade belongs to a learner's answer, not to one submission: its key is the block, the
learner, the cell and the SHA-256 of the answer graded, so grading the same notebook again
(a regrade after a test was fixed) finds every manual grade it had. ``revision`` counts the
saves of a grade, so two tutors never overwrite each other silently. ``manual`` on a
submission says whether its score waits for a tutor (``waiting``), has its tutor's points
(``graded``), or needs none (NULL). Rows graded before manual grading existed keep NULL:
their scores were published with the automatic part, as they were then.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sabaq_xblock.migrations.types import long_text

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sabaq_manual_grade",
        sa.Column("block_id", sa.String(255), primary_key=True),
        sa.Column("learner_id", sa.String(255), primary_key=True),
        sa.Column("grade_id", sa.String(128), primary_key=True),  # nbgrader's own cell-name limit
        sa.Column("answer", sa.String(64), primary_key=True),
        sa.Column("points", sa.Double, nullable=False),
        sa.Column("comment", long_text(), nullable=False),
        sa.Column("rubric", sa.Text, nullable=False),
        sa.Column("grader", sa.String(255), nullable=False),
        sa.Column("updated", sa.Double, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
    )
    with op.batch_alter_table("sabaq_submission") as batch:
        batch.add_column(sa.Column("manual", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sabaq_submission") as batch:
        batch.drop_column("manual")
    op.drop_table("sabaq_manual_grade")
