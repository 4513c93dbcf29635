"""Alembic environment of alignlab's store: runs on the connection alignlab hands it."""

from __future__ import annotations

from alembic import context

from alignlab.store.audit import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run alignlab's migrations through alignlab.store.audit.migrate(engine)")
context.configure(connection=connection, target_metadata=metadata, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
