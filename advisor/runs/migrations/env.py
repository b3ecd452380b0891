"""Alembic's environment: migrations run on the connection the run store hands over (inside its transaction, which
holds the write lock), never on a URL of their own."""
from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None, render_as_batch=True, transactional_ddl=True)
with context.begin_transaction():
    context.run_migrations()
