"""Alembic's environment: run the revisions on the connection ``migrations.upgrade`` passes."""

from __future__ import annotations

from alembic import context

from sabaq_xblock.migrations import VERSION_TABLE

connection = context.config.attributes["connection"]
context.configure(connection=connection, version_table=VERSION_TABLE, render_as_batch=True,
                  transaction_per_migration=False)
with context.begin_transaction():
    context.run_migrations()
