"""The store: tables in ``schema`` (``metadata``), engines and migrations in ``engine``, and one
module per kind of record (``people``, ``events``, ``heartbeats``, ``tokens``)."""

from verifier.store.engine import StoreError, make_engine, migrate, open_store, ping
from verifier.store.schema import metadata

__all__ = ["StoreError", "make_engine", "metadata", "migrate", "open_store", "ping"]
