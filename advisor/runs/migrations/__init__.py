"""Alembic migrations of the run store's schema (SQLite and PostgreSQL alike); run by advisor.runs.store."""
