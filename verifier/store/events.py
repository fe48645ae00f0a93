"""Verdict events: stored once per event id, counted for stats, purged after retention.

The stats read counts and latencies only, never a subject. p95 is the **nearest-rank**
percentile: of the n latencies of a group sorted ascending, the one at rank ⌈0.95·n⌉ (1-based) —
always a latency that was measured, and computed in SQL with integer arithmetic only, so SQLite
and PostgreSQL give the same value.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Engine, case, delete, func, select
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


def count_events(engine: Engine, *, site: str | None = None) -> int:
    """All stored events, or a site's (the stats' ``total``)."""
    query = select(func.count()).select_from(events)
    if site is not None:
        query = query.where(events.c.site == site)
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


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


def _window(since_day: str | None, site: str | None) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if since_day is not None:
        where.append(events.c.day >= since_day)
    if site is not None:
        where.append(events.c.site == site)
    return where


def _tally(condition: ColumnElement[bool], label: str) -> Any:
    return func.sum(case((condition, 1), else_=0)).label(label)


def day_site_counts(
    engine: Engine, *, since_day: str | None = None, site: str | None = None
) -> list[dict[str, Any]]:
    """Per day and site: checks, each verdict, 60+ and decided offline (source not ``online``)."""
    key = (events.c.day, events.c.site)
    query = (
        select(
            *key,
            func.count().label("checks"),
            _tally(events.c.verdict == "PASS", "pass"),
            _tally(events.c.verdict == "CHECK", "check"),
            _tally(events.c.verdict == "DENY", "deny"),
            _tally(events.c.age_band == "60+", "elder"),
            _tally(events.c.source != "online", "offline"),
        )
        .where(*_window(since_day, site))
        .group_by(*key)
        .order_by(*key)
    )
    with engine.connect() as conn:
        return [
            {name: value if name in ("day", "site") else int(value) for name, value in row.items()}
            for row in conn.execute(query).mappings()
        ]


def latency_p95(
    engine: Engine,
    *,
    by: Sequence[str] = (),
    since_day: str | None = None,
    site: str | None = None,
) -> dict[tuple[str, ...], float]:
    """Nearest-rank p95 of ``latency_ms`` per group of the columns ``by`` (``()``: one group);
    events without a latency are left out, groups with none are absent. The rank r kept is the
    smallest with 100·r ≥ 95·n — no division, no float, the same on every backend."""
    group = [events.c[name] for name in by]
    ranked = (
        select(
            *group,
            events.c.latency_ms,
            func.row_number()
            .over(partition_by=group or None, order_by=events.c.latency_ms)
            .label("rank"),
            func.count().over(partition_by=group or None).label("n"),
        )
        .where(events.c.latency_ms.is_not(None), *_window(since_day, site))
        .subquery()
    )
    rank, n = ranked.c["rank"], ranked.c.n
    query = select(*(ranked.c[name] for name in by), ranked.c.latency_ms).where(
        rank * 100 >= n * 95, (rank - 1) * 100 < n * 95
    )
    with engine.connect() as conn:
        return {tuple(row[:-1]): float(row[-1]) for row in conn.execute(query)}


def event_sites(engine: Engine, *, since_day: str | None = None) -> list[str]:
    """The sites with events since ``since_day`` (the console's site filter offers these)."""
    query = select(events.c.site).where(*_window(since_day, None)).distinct().order_by("site")
    with engine.connect() as conn:
        return list(conn.execute(query).scalars())


def purge_events(engine: Engine, *, days: int, now: datetime | None = None) -> int:
    """Delete events older than ``days``; returns how many went."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    with engine.begin() as conn:
        return conn.execute(delete(events).where(events.c.at < cutoff)).rowcount
