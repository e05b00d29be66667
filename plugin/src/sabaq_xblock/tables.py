"""The store's tables as the code reads and writes them (the head of ``migrations``).

The database's schema is made and changed only by the Alembic migrations; these
definitions mirror their newest revision so queries can be written as SQL expressions.
Long text (notebooks, reports) is ``LONGTEXT`` on MySQL, whose ``TEXT`` stops at 64 KB.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

SUBMISSION = "sabaq_submission"
LEARNER_LOCK = "sabaq_learner_lock"
WIDGET_CHECK = "sabaq_widget_check"
ASSIGNMENT = "sabaq_assignment"
MANUAL_GRADE = "sabaq_manual_grade"


def long_text() -> Any:
    """Text without a practical size limit on every supported database."""
    return sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")


metadata = sa.MetaData()

submission = sa.Table(
    SUBMISSION,
    metadata,
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
    sa.Column("attempt", sa.Integer, nullable=True),
    sa.Column("pending_slot", sa.Integer, nullable=True),
    sa.Column("assignment", sa.String(64), nullable=True),
    sa.Column("callback_url", sa.Text, nullable=True),
    sa.Column("leased", sa.Double, nullable=True),
    sa.Column("started", sa.Double, nullable=True),
    sa.Column("runs", sa.Integer, nullable=False),
    sa.Column("published", sa.Boolean, nullable=True),
    sa.Column("manual", sa.String(16), nullable=True),
)

learner_lock = sa.Table(
    LEARNER_LOCK,
    metadata,
    sa.Column("learner_id", sa.String(255), primary_key=True),
    sa.Column("touched", sa.Double, nullable=False),
)

widget_check = sa.Table(
    WIDGET_CHECK,
    metadata,
    sa.Column("block_id", sa.String(255), primary_key=True),
    sa.Column("learner_id", sa.String(255), primary_key=True),
    sa.Column("model_id", sa.String(255), primary_key=True),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("response", long_text(), nullable=False),
    sa.Column("result", long_text(), nullable=False),
    sa.Column("updated", sa.Double, nullable=False),
)

assignment = sa.Table(
    ASSIGNMENT,
    metadata,
    sa.Column("checksum", sa.String(64), primary_key=True),
    sa.Column("instructor", long_text(), nullable=False),
    sa.Column("files", long_text(), nullable=False),
    sa.Column("limits", sa.Text, nullable=False),
    sa.Column("created", sa.Double, nullable=False),
)

manual_grade = sa.Table(
    MANUAL_GRADE,
    metadata,
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

PRACTICE_RUN = "sabaq_practice_run"

practice_run = sa.Table(  # when each learner's recent practice runs began: the rate limit's count
    PRACTICE_RUN,
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("learner_id", sa.String(255), nullable=False),
    sa.Column("block_id", sa.String(255), nullable=False),
    sa.Column("created", sa.Double, nullable=False),
    sa.Index("ix_sabaq_practice_run_learner", "learner_id", "created"),
)
