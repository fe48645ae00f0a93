"""The tables. People appear only as ``subject`` (HMAC of the ID number, 64 hex); no column
anywhere holds an ID number. Alembic revisions in ``verifier/migrations`` create exactly these."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)

SUBJECT = String(64)
INSTANT = DateTime(timezone=True)

health_codes = Table(
    "health_codes",
    metadata,
    Column("subject", SUBJECT, primary_key=True),
    Column("color", String(8), nullable=False),
    Column("reason", Text, nullable=False),
    Column("updated_at", INSTANT, nullable=False),
    Column("nat_at", INSTANT),
    Column("vaccine_doses", Integer),
    sqlite_with_rowid=False,
)

travel = Table(
    "travel",
    metadata,
    Column("subject", SUBJECT, primary_key=True),
    Column("place_code", String(32), primary_key=True),
    Column("visited_on", Date, primary_key=True),
    Column("place_name", Text, nullable=False),
    Column("risk", String(8), nullable=False),
    Column("updated_at", INSTANT, nullable=False),
    sqlite_with_rowid=False,
)

card_status = Table(
    "card_status",
    metadata,
    Column("subject", SUBJECT, primary_key=True),
    Column("status", String(8), nullable=False),
    Column("updated_at", INSTANT, nullable=False),
    sqlite_with_rowid=False,
)

events = Table(
    "events",
    metadata,
    Column("event_id", String(64), primary_key=True),
    Column("kiosk_id", String(64), nullable=False),
    Column("site", String(64), nullable=False),
    Column("at", INSTANT, nullable=False),
    Column("day", String(10), nullable=False),
    Column("verdict", String(8), nullable=False),
    Column("reasons", JSON, nullable=False),
    Column("source", String(16), nullable=False),
    Column("card_type", String(32), nullable=False),
    Column("age_band", String(8), nullable=False),
    Column("subject", SUBJECT),
    Column("latency_ms", Float),
    Column("received_at", INSTANT, nullable=False),
    Index(None, "at"),
    Index(None, "day", "site"),
)

heartbeats = Table(
    "heartbeats",
    metadata,
    Column("kiosk_id", String(64), primary_key=True),
    Column("site", String(64), nullable=False),
    Column("doc", JSON, nullable=False),
    Column("received_at", INSTANT, nullable=False),
)

tokens = Table(
    "tokens",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("role", String(16), nullable=False),
    Column("site", String(64)),
    Column("sha256", String(64), nullable=False, unique=True),
    Column("created_at", INSTANT, nullable=False),
    Column("revoked_at", INSTANT),
)
