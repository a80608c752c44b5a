"""Alembic environment: runs on the connection cyplan hands it (see store.workspace)."""

from alembic import context

from cyplan.store import returns_tables  # noqa: F401  (its tables join the metadata)
from cyplan.store.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
