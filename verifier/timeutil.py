"""Instants as the store keeps them: UTC, and on SQLite one fixed text form so that comparing
two stored values as strings compares them in time (the upsert's "newer wins" relies on it)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache

SQLITE_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def utcnow() -> datetime:
    """The current instant, timezone-aware UTC."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """A stored instant as aware UTC (SQLite hands them back naive, already in UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def iso(value: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, the form every API answer uses."""
    return as_utc(value).isoformat().replace("+00:00", "Z")


@lru_cache(maxsize=4096)
def parse_instant(text: str) -> datetime:
    """ISO 8601 date-time (``Z``/offset, or naive meaning UTC) → aware UTC; cached because feed
    exports repeat the same timestamps over thousands of rows. Raises ValueError."""
    value = datetime.fromisoformat(text)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@lru_cache(maxsize=4096)
def parse_day(text: str) -> date:
    """``YYYY-MM-DD`` → date; raises ValueError."""
    if len(text) != 10:
        raise ValueError(text)
    return date.fromisoformat(text)


def sqlite_text(value: datetime) -> str:
    """The text SQLAlchemy's SQLite DATETIME stores, for the bulk path that bypasses it."""
    return value.astimezone(UTC).strftime(SQLITE_FORMAT)
