"""Revision 0122_event_p95s on a populated database, both backends: the latency histogram is
counted from the events already stored (the same buckets ``record_events`` adds), the p95 cache
starts empty, and the stats' p95s equal the definition right after the upgrade and after new
events; a downgrade drops both tables and leaves the events as they were."""

from __future__ import annotations

import importlib
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import command
from sqlalchemy import Engine
from stats_sim import nearest_rank_p95
from verifier_helpers import four_day_tap, tally_as_before

from verifier.store.engine import alembic_config
from verifier.store.events import record_events
from verifier.store.latency import latency_bucket
from verifier.store.p95 import ALL_SITES, group_p95s, window_p95
from verifier.store.partitions import ensure_partitions

pytest_plugins = ("verifier_fixtures",)

REVISION = importlib.import_module("verifier.migrations.versions.0122_event_p95s")
BEFORE = REVISION.down_revision
NOW = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)


def tap(n: int) -> dict[str, Any]:
    """Latencies with ties, some without."""
    return four_day_tap(n, NOW, float(n * 7 % 300) + 0.5 if n % 5 else None)


def populate(engine: Engine, taps: list[dict[str, Any]]) -> None:
    """The events and their tallies as the release before stored them."""
    rows = [{**t, "day": t["at"].date().isoformat(), "received_at": NOW} for t in taps]
    if engine.dialect.name == "postgresql":
        ensure_partitions(engine, {r["day"] for r in rows})
    columns = [sa.column(name) for name in rows[0] if name != "reasons"]
    old_events = sa.table("events", *columns, sa.column("reasons", sa.JSON))
    with engine.begin() as conn:
        conn.execute(sa.insert(old_events), rows)
        tally_as_before(conn)


def table(engine: Engine, sql: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql))]


def assert_p95s_equal_the_definition(engine: Engine) -> None:
    timed = table(engine, "SELECT day, site, latency_ms FROM events WHERE latency_ms IS NOT NULL")
    groups = Counter((day, site) for day, site, _ in timed)
    groups.update((day, ALL_SITES) for day, _, _ in timed)
    assert group_p95s(engine, groups) == {
        (day, site): nearest_rank_p95([v for d, s, v in timed if d == day and site in (s, "")])
        for day, site in groups
    }
    assert window_p95(engine, since_day=None, until_day=None, site=None) == nearest_rank_p95(
        [v for _, _, v in timed]
    )


def test_0122_counts_the_stored_latencies_into_buckets(empty_store: Engine) -> None:
    engine = empty_store
    config = alembic_config(engine)
    command.upgrade(config, BEFORE)
    taps = [tap(n) for n in range(80)]
    populate(engine, taps)
    events_before = table(engine, "SELECT * FROM events ORDER BY event_id")

    command.upgrade(config, REVISION.revision)
    want = Counter(
        (t["at"].date().isoformat(), t["site"], latency_bucket(t["latency_ms"]))
        for t in taps
        if t["latency_ms"] is not None
    )
    assert dict(want) == {
        (day, site, bucket): n
        for day, site, bucket, n in table(engine, "SELECT * FROM event_latencies")
    }
    assert table(engine, "SELECT * FROM event_p95s") == []
    assert table(engine, "SELECT * FROM events ORDER BY event_id") == events_before
    assert_p95s_equal_the_definition(engine)

    assert record_events(engine, [tap(n) for n in range(75, 95)]) == (15, 5)
    assert_p95s_equal_the_definition(engine)

    command.downgrade(config, BEFORE)
    tables = set(sa.inspect(engine).get_table_names())
    assert "event_latencies" not in tables and "event_p95s" not in tables
    assert len(table(engine, "SELECT * FROM events")) == 95
    command.upgrade(config, "heads")
    assert sum(n for *_, n in table(engine, "SELECT * FROM event_latencies")) == sum(
        1 for n in range(95) if n % 5
    )
