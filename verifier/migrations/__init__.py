"""Alembic scripts, run in code by ``verifier.store.engine.migrate`` (no alembic.ini)."""
