"""Column types the revisions share (frozen with them: never import the live tables here)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql


def long_text() -> Any:
    """Text without a practical size limit: ``LONGTEXT`` on MySQL, whose ``TEXT`` stops at 64 KB."""
    return sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")
