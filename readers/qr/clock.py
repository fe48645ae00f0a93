"""Reading a time given on the command line or in test data: ISO 8601, UTC when no offset."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_time(text: str) -> datetime:
    """The timezone-aware moment ``text`` names; a time without an offset is UTC."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"{text!r} is not a time: expected ISO 8601 such as 2021-06-01T12:00:00+08:00"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
