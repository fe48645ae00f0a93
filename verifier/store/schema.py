"""The tables. People appear only as ``subject`` (HMAC-SHA256 of the ID number, stored as its 32
raw bytes); no column anywhere holds an ID number. Alembic revisions in ``verifier/migrations``
create exactly these."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)
from sqlalchemy.engine import Dialect

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class Subject(TypeDecorator[str]):
    """A subject: 64 hex characters in Python and on the wire, its 32 bytes in the store — half
    the key and index size of the hex (revision 0120; docs/performance.md). The bulk paths that
    bypass SQLAlchemy (feed COPY, the verify read) bind the bytes themselves."""

    impl = LargeBinary(32)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> bytes | None:
        return None if value is None else bytes.fromhex(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else bytes(value).hex()


SUBJECT = Subject()
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
    # the stats' p95 reads the slowest 5 % of a day × site, a day, or the whole window straight
    # off these (verifier/store/events.py)
    Index(None, "day", "site", "latency_ms"),
    Index(None, "day", "latency_ms"),
    Index(None, "latency_ms", "day", "site"),
)

event_tallies = Table(
    "event_tallies",
    metadata,
    Column("day", String(10), primary_key=True),
    Column("site", String(64), primary_key=True),
    Column("verdict", String(8), primary_key=True),
    Column("age_band", String(8), primary_key=True),
    Column("events", BigInteger, nullable=False),
    Column("offline", BigInteger, nullable=False),
    Column("timed", BigInteger, nullable=False),
    sqlite_with_rowid=False,
)
"""The events counted per day, site, verdict and age band (``offline``: decided with a source
other than ``online``; ``timed``: with a latency), kept in step with ``events`` in the same
transaction: the stats read these few rows instead of counting 10^6 events."""

event_latencies = Table(
    "event_latencies",
    metadata,
    Column("day", String(10), primary_key=True),
    Column("site", String(64), primary_key=True),
    Column("bucket", Integer, primary_key=True),
    Column("events", BigInteger, nullable=False),
    sqlite_with_rowid=False,
)
"""How many events of a day and site have a latency in each bucket (verifier/store/latency.py),
kept in step with ``events`` like ``event_tallies``: a window's p95 is found in one bucket and
read from there, not from the slowest 5 % of the window."""

event_p95s = Table(
    "event_p95s",
    metadata,
    Column("day", String(10), primary_key=True),
    Column("site", String(64), primary_key=True),
    Column("timed", BigInteger, nullable=False),
    Column("p95_ms", Float, nullable=False),
    sqlite_with_rowid=False,
)
"""The p95 of a day and site, or of a whole day (``site`` ''), as computed over ``timed``
events: still the group's p95 while its tallies count that many, since a group only gains
events until the purge, which deletes its rows here (verifier/store/latency.py)."""

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
    Column("kiosk_id", String(64)),
    Column("sha256", String(64), nullable=False, unique=True),
    Column("created_at", INSTANT, nullable=False),
    Column("revoked_at", INSTANT),
)
"""Bearer tokens, hashed. A kiosk token names the one kiosk (``kiosk_id``) and ``site`` it speaks
for; one issued before revision 0102 has no ``kiosk_id`` until its first use binds it."""

console_sessions = Table(
    "console_sessions",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column(
        "token_id",
        BigInteger().with_variant(Integer, "sqlite"),
        ForeignKey(tokens.c.id, ondelete="CASCADE", name="fk_console_sessions_token_id_tokens"),
        nullable=False,
    ),
    Column("created_at", INSTANT, nullable=False),
    Column("expires_at", INSTANT, nullable=False),
    Column("seen_at", INSTANT, nullable=False),
    Index(None, "expires_at"),
    Index(None, "token_id"),
)
"""A staff member signed in on the console: the session id's SHA-256, never the id itself."""

qr_cards = Table(
    "qr_cards",
    metadata,
    Column("serial", String(16), primary_key=True),
    Column("subject", SUBJECT, nullable=False),
    Column("key_id", String(8), nullable=False),
    Column("issued_at", INSTANT, nullable=False),
    Column("expires_at", INSTANT, nullable=False),
    Column("revoked_at", INSTANT),
    Index(None, "revoked_at"),
)
"""Printed elder QR cards (verifier/qrcards): serial (16 hex) and subject, never a name or ID
number. A revoked card's serial is in the risk list until it would have expired anyway."""
