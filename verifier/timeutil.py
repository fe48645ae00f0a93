"""Instants as the store keeps them: UTC, and on SQLite one fixed text form so that comparing
two stored values as strings compares them in time (the upsert's "newer wins" relies on it).

Feed dates and times are read strictly (``parse_day``, ``parse_instant``): one written form per
day, so the same day never becomes two rows, and no time whose zone is a guess."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

SQLITE_FORMAT = "%Y-%m-%d %H:%M:%S.%f"
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_INSTANT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(?:[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9]))?"
)


def utcnow() -> datetime:
    """The current instant, timezone-aware UTC."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """A stored instant as aware UTC (SQLite hands them back naive, already in UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def iso(value: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, the form every API answer uses."""
    return as_utc(value).isoformat().replace("+00:00", "Z")


def parse_instant(text: str) -> datetime:
    """An RFC 3339 date-time with ``Z`` or an offset (``T``, ``t`` or a space between date and
    time; fractions past microseconds dropped), or a bare ``YYYY-MM-DD`` meaning 00:00 UTC that
    day → aware UTC. A date-time without a zone is refused: for a Beijing export, "UTC or local?"
    is an eight-hour question. Raises ValueError (the form), OverflowError (past year 1–9999)."""
    if _INSTANT.fullmatch(text) is None:
        raise ValueError("not an RFC 3339 date-time with a zone")
    value = datetime.fromisoformat(text.upper())
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is in year 0
        raise OverflowError("before year 1 or after year 9999 in UTC") from None


def parse_day(text: str) -> date:
    """Exactly ``YYYY-MM-DD`` (no week dates, ordinals or compact forms: a day has one written
    form, which is then also the stored one). Raises ValueError."""
    if _DAY.fullmatch(text) is None:
        raise ValueError("not YYYY-MM-DD")
    return date.fromisoformat(text)


def sqlite_text(value: datetime) -> str:
    """The text SQLAlchemy's SQLite DATETIME stores (``SQLITE_FORMAT``), for the bulk paths that
    bypass it; years before 1000 keep four digits, so the text still sorts in time."""
    return as_utc(value).replace(tzinfo=None).isoformat(" ", "microseconds")
