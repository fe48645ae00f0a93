"""The events' day partitions on PostgreSQL: made ahead, made on demand for an event whose day
has none (also by several replicas at once), dropped whole by the purge with their tallies, and
pruned by the stats — the plans of the stats' queries over a window read only the window's
partitions, whether PostgreSQL plans them with the values (custom) or without (generic)."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from psycopg import ClientCursor
from sqlalchemy import Engine, event, func, select, text

from verifier.store import open_store
from verifier.store.events import latency_p95, purge_events, record_events
from verifier.store.p95 import window_p95
from verifier.store.partitions import (
    AHEAD_DAYS,
    ensure_ahead,
    ensure_partitions,
    partition_bounds,
    partition_days,
    partition_name,
)
from verifier.store.schema import event_latencies, event_tallies, events

pytest_plugins = ("verifier_fixtures",)

NOW = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
TODAY = NOW.date()


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


def tap(event_id: str, at: datetime, site: str = "hospital-a", latency: float = 40.0) -> dict:
    return {
        "event_id": event_id,
        "kiosk_id": "k1",
        "site": site,
        "at": at,
        "verdict": "PASS",
        "reasons": ["CODE_GREEN"],
        "source": "online",
        "card_type": "resident",
        "age_band": "18-59",
        "subject": None,
        "latency_ms": latency,
    }


@pytest.fixture
def pg(pg_url: str) -> Iterator[Engine]:
    """The session's PostgreSQL store with no event partitions and no events."""
    engine = open_store(pg_url)
    with engine.begin() as conn:
        for gone in partition_days(conn):
            conn.execute(text(f"DROP TABLE {partition_name(gone)}"))
        conn.execute(text("TRUNCATE event_tallies, event_latencies, event_p95s"))
    yield engine
    engine.dispose()


def stored(engine: Engine) -> tuple[int, int]:
    """Events in the table and events in the tallies."""
    with engine.connect() as conn:
        rows = conn.execute(select(func.count()).select_from(events)).scalar_one()
        tallied = conn.execute(select(func.coalesce(func.sum(event_tallies.c.events), 0)))
        return int(rows), int(tallied.scalar_one())


def test_partitions_are_made_ahead_from_the_retention_window(pg: Engine) -> None:
    made = ensure_ahead(pg, retention_days=30, now=NOW)
    assert made == [day(d) for d in range(-30, AHEAD_DAYS + 1)]
    assert ensure_ahead(pg, retention_days=30, now=NOW) == []
    with pg.connect() as conn:
        assert partition_days(conn) == made


def test_an_event_for_a_day_without_a_partition_is_stored_once(pg: Engine) -> None:
    """A kiosk back online after a week, and one whose local date is already tomorrow, in one
    batch with today's taps: all stored, their days' partitions made, a resend is duplicates."""
    ensure_partitions(pg, [day(0)])
    east = timezone(timedelta(hours=14))
    batch = [
        tap("today", NOW),
        tap("week-old", NOW - timedelta(days=7)),
        tap("tomorrow-there", NOW.astimezone(east) + timedelta(hours=3)),
    ]
    assert record_events(pg, [dict(e) for e in batch]) == (3, 0)
    assert record_events(pg, [dict(e) for e in batch]) == (0, 3)
    with pg.connect() as conn:
        assert partition_days(conn) == [day(-7), day(0), day(1)]
        assert conn.execute(select(events.c.day).order_by(events.c.day)).scalars().all() == [
            day(-7),
            day(0),
            day(1),
        ]
    assert stored(pg) == (3, 3)


def test_replicas_making_the_same_partitions_at_once_all_succeed(pg: Engine) -> None:
    """Eight writers start together on a batch whose five days have no partition: each
    partition is made once, every writer's call succeeds, each event is stored once."""
    batch = [tap(f"ev-{n}", NOW - timedelta(days=n % 5, minutes=n)) for n in range(50)]
    start = threading.Barrier(8)

    def writer(_: int) -> tuple[int, int]:
        start.wait()
        return record_events(pg, [dict(e) for e in batch])

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(writer, range(8)))
    assert sum(accepted for accepted, _ in answers) == 50
    assert all(a + d == 50 for a, d in answers)
    with pg.connect() as conn:
        assert partition_days(conn) == [day(d) for d in range(-4, 1)]
    assert stored(pg) == (50, 50)

    with ThreadPoolExecutor(max_workers=8) as pool:
        made = list(pool.map(lambda _: ensure_partitions(pg, [day(2), day(3)]), range(8)))
    assert sorted(d for days in made for d in days) == [day(2), day(3)]


def test_the_purge_drops_whole_days_and_their_tallies(pg: Engine) -> None:
    """Retention 30 days at 08:00: the days before the cutoff's date go whole, with their
    tallies and latency buckets, counted; the cutoff's own day stays whole until the next
    date."""
    taps = [tap(f"ev-{n}-{h}", NOW - timedelta(days=n, hours=h)) for n in range(36) for h in (0, 7)]
    record_events(pg, taps)
    cutoff = NOW - timedelta(days=30)
    older_days = [e for e in taps if e["at"].date() < cutoff.date()]
    assert purge_events(pg, days=30, now=NOW) == len(older_days) == 10
    with pg.connect() as conn:
        assert partition_days(conn)[0] == cutoff.date().isoformat()
        kept = conn.execute(select(events.c.at).order_by(events.c.at)).scalars().first()
    assert kept is not None and kept < cutoff, "the cutoff's day keeps its early taps"
    assert stored(pg) == (62, 62)
    with pg.connect() as conn:
        bucketed = select(func.sum(event_latencies.c.events), func.min(event_latencies.c.day))
        assert tuple(conn.execute(bucketed).one()) == (62, cutoff.date().isoformat())
    assert purge_events(pg, days=30, now=NOW) == 0


def plan_reads(plan: dict[str, Any]) -> dict[str, int]:
    """Each partition the plan reads → how many times it was scanned (EXPLAIN ANALYZE)."""
    reads: dict[str, int] = {}
    name = plan.get("Relation Name", "")
    if name.startswith("events_p"):
        reads[name] = reads.get(name, 0) + plan["Actual Loops"]
    for child in plan.get("Plans", []):
        for part, loops in plan_reads(child).items():
            reads[part] = reads.get(part, 0) + loops
    return reads


def explain(engine: Engine, statement: str, params: dict[str, Any], generic: bool) -> dict:
    """EXPLAIN ANALYZE of a captured statement: as sent (planned with its values), or as a
    prepared statement forced to a generic plan (planned without them, as after psycopg's
    prepare threshold), where pruning must happen when it starts."""
    with engine.connect() as conn:
        # values inlined by the client: EXECUTE inside EXPLAIN takes no bound parameters
        cursor = ClientCursor(conn.connection.dbapi_connection)
        if not generic:
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}", params)
            return cursor.fetchone()[0][0]["Plan"]
        names = list(dict.fromkeys(re.findall(r"%\((\w+)\)s", statement)))
        positional = re.sub(r"%\((\w+)\)s", lambda m: f"${names.index(m.group(1)) + 1}", statement)
        types = ", ".join(pg_type(params[n]) for n in names)
        cursor.execute("SET plan_cache_mode = force_generic_plan")
        cursor.execute(f"PREPARE stats_query ({types}) AS {positional}")
        marks = ", ".join(f"%s::{pg_type(params[n])}" for n in names)
        cursor.execute(
            f"EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE stats_query ({marks})",
            [params[n] for n in names],
        )
        plan = cursor.fetchone()[0][0]["Plan"]
        cursor.execute("DEALLOCATE stats_query")
        cursor.execute("RESET plan_cache_mode")
        return plan


def pg_type(value: Any) -> str:
    if isinstance(value, list):
        return pg_type(value[0]) + "[]"
    if isinstance(value, float):
        return "double precision"
    return "bigint" if isinstance(value, int) else "text"


@pytest.mark.parametrize("generic", [False, True], ids=["custom-plan", "generic-plan"])
def test_the_stats_queries_read_only_the_windows_partitions(pg: Engine, generic: bool) -> None:
    """Ten days of taps at two sites; the p95 reads of a three-day window (per day and site and
    per day as a cache miss reads them, overall as the window's bucket is read) scan no
    partition outside the window."""
    taps = [
        tap(f"ev-{d}-{n}", NOW - timedelta(days=d, minutes=n), ("a", "b")[n % 2], float(n))
        for d in range(10)
        for n in range(40)
    ]
    record_events(pg, taps)
    window = {"since_day": day(-5), "until_day": day(-3)}
    inside = {partition_name(day(d)) for d in (-5, -4, -3)}
    captured: list[tuple[str, dict[str, Any]]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if re.search(r"\bFROM events\b", statement):
            captured.append((statement, dict(params)))

    event.listen(pg, "before_cursor_execute", capture)
    try:
        for by in (("day", "site"), ("day",), ()):
            assert latency_p95(pg, by=by, **window)
        assert window_p95(pg, site=None, **window) is not None
    finally:
        event.remove(pg, "before_cursor_execute", capture)
    assert len(captured) == 4
    for statement, params in captured:
        reads = plan_reads(explain(pg, statement, params, generic))
        assert set(reads) <= inside, json.dumps(reads)
        assert any(loops > 0 for loops in reads.values()), json.dumps(reads)


def test_partition_names_and_bounds_cover_every_date() -> None:
    """Year 1 and 9999 (events stored before times were checked) get partitions too."""
    assert partition_name("0001-06-01") == "events_p00010601"
    assert partition_bounds("9999-12-31") == "FOR VALUES FROM ('9999-12-31') TO (MAXVALUE)"
    with pytest.raises(ValueError, match="day: expected YYYY-MM-DD"):
        partition_name("20261128")
