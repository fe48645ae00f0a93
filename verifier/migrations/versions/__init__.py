"""Alembic revisions; each new one names the current head as ``down_revision``."""
