"""Alembic revisions of the run store, oldest first (0001, 0002, ...); Alembic skips this file."""
