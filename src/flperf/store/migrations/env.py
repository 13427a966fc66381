"""Alembic environment: runs on the connection `flperf.store.migrate.upgrade` passes in."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from flperf.store.tables import Base

connection: Connection | None = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("flperf migrations run through flperf.store.migrate.upgrade(engine)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
