"""The risk-list tables, on the verifier store's ``metadata``.

``risklist_entries`` is the list as last published (16-byte subject prefix as 32 hex → flags).
``risklist_versions`` holds one row per published version with its signed delta from the
previous version, and the signed snapshot of the newest version only (older ones are cleared),
so any replica serves the same bytes without the signing key.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, LargeBinary, SmallInteger, String, Table

from verifier.store.schema import INSTANT, metadata

risklist_entries = Table(
    "risklist_entries",
    metadata,
    Column("prefix", String(32), primary_key=True),
    Column("flags", SmallInteger, nullable=False),
    sqlite_with_rowid=False,
)

risklist_versions = Table(
    "risklist_versions",
    metadata,
    Column("version", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("published_at", INSTANT, nullable=False),
    Column("entries", Integer, nullable=False),
    Column("changes", Integer, nullable=False),
    Column("delta", LargeBinary, nullable=False),
    Column("snapshot", LargeBinary),
)
