"""Indexes for the reconciler's view of the queue's progress (``SubmissionStore.progress``): runs
queued, and started, since the oldest waiting submission, found by range instead of a scan of
every submission ever made.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_sabaq_submission_leased", "sabaq_submission", ["leased"])
    op.create_index("ix_sabaq_submission_started", "sabaq_submission", ["started"])


def downgrade() -> None:
    op.drop_index("ix_sabaq_submission_started", "sabaq_submission")
    op.drop_index("ix_sabaq_submission_leased", "sabaq_submission")
