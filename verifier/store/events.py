"""Verdict events: stored once per event id, counted for stats, purged after retention."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from verifier.store.schema import events
from verifier.timeutil import utcnow

UNKNOWN = "unknown"  # card type / age band of a tap whose card could not be read


def record_events(engine: Engine, rows: list[dict[str, Any]]) -> tuple[int, int]:
    """Insert the events whose ids are new → (accepted, duplicates). Safe under concurrency:
    the insert ignores ids another replica stored a moment ago. An unreadable card's event has
    no subject (NULL) and ``unknown`` card type and age band."""
    unique = list({row["event_id"]: row for row in rows}.values())
    received = utcnow()
    for row in unique:
        row["day"] = row["at"].date().isoformat()
        row["card_type"] = row.get("card_type") or UNKNOWN
        row["age_band"] = row.get("age_band") or UNKNOWN
        row["received_at"] = received
    if not unique:
        return 0, len(rows)
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(events).on_conflict_do_nothing(index_elements=["event_id"])
    with engine.begin() as conn:
        accepted = len(conn.execute(statement.returning(events.c.event_id), unique).all())
    return accepted, len(rows) - accepted


def count_events(engine: Engine) -> int:
    """All stored events (the stats' ``total``)."""
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(events)).scalar_one())


def event_counts(
    engine: Engine, *, since_day: str | None = None, site: str | None = None
) -> list[dict[str, Any]]:
    """Counts per day, site, verdict and age band — never a subject."""
    key = (events.c.day, events.c.site, events.c.verdict, events.c.age_band)
    query = select(*key, func.count().label("count")).group_by(*key).order_by(*key)
    if since_day is not None:
        query = query.where(events.c.day >= since_day)
    if site is not None:
        query = query.where(events.c.site == site)
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def purge_events(engine: Engine, *, days: int, now: datetime | None = None) -> int:
    """Delete events older than ``days``; returns how many went."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    with engine.begin() as conn:
        return conn.execute(delete(events).where(events.c.at < cutoff)).rowcount
