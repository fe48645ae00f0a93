"""Revision 0121_event_partitions on a populated database: on PostgreSQL the events of several
days become one partition per day, every row and tally kept, the same indexes, and a resent
event is still a duplicate afterwards; a downgrade gives the plain table back with every row.
On SQLite the revision changes nothing."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import command
from sqlalchemy import Engine
from verifier_helpers import four_day_tap, tally_as_before

from verifier.store.engine import alembic_config
from verifier.store.events import record_events
from verifier.store.partitions import partition_days

pytest_plugins = ("verifier_fixtures",)
REVISION = importlib.import_module("verifier.migrations.versions.0121_event_partitions")
BEFORE = REVISION.down_revision
NOW = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
COLUMNS = ("event_id", "kiosk_id", "site", "at", "day", "verdict", "source", "card_type")
OLD_EVENTS = sa.table(
    "events", *(sa.column(c) for c in COLUMNS), sa.column("reasons", sa.JSON),
    sa.column("age_band"), sa.column("latency_ms"), sa.column("received_at"),
)  # fmt: skip
INDEXES = {
    "pk_events",
    "ix_events_at",
    "ix_events_day_site_latency_ms",
    "ix_events_day_latency_ms",
    "ix_events_latency_ms_day_site",
}


def tap(n: int) -> dict[str, Any]:
    """Some without a latency."""
    return four_day_tap(n, NOW, float(n) if n % 5 else None)


def populate(engine: Engine, taps: list[dict[str, Any]]) -> None:
    """The events as the release before stored them (no subject: its type is changing), and
    their tallies."""
    rows = [{**t, "day": t["at"].date().isoformat(), "received_at": NOW} for t in taps]
    with engine.begin() as conn:
        conn.execute(sa.insert(OLD_EVENTS), rows)
        tally_as_before(conn)


def snapshot(engine: Engine, table: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(f"SELECT * FROM {table} ORDER BY 1, 2, 3"))]


def pg_shape(engine: Engine) -> tuple[bool, set[str], list[str]]:
    """Whether ``events`` is partitioned, its index names, its primary key's columns."""
    with engine.connect() as conn:
        kind = conn.execute(sa.text("SELECT relkind FROM pg_class WHERE relname = 'events'"))
        indexes = conn.execute(
            sa.text("SELECT indexname FROM pg_indexes WHERE tablename = 'events'")
        )
        key = conn.execute(
            sa.text(
                "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
                "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = 'events'::regclass "
                "AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)"
            )
        )
        return kind.scalar_one() == "p", set(indexes.scalars()), list(key.scalars())


def test_0121_partitions_every_day_and_keeps_exactly_once(empty_store: Engine) -> None:
    engine = empty_store
    config = alembic_config(engine)
    command.upgrade(config, BEFORE)
    taps = [tap(n) for n in range(60)]
    populate(engine, taps)
    events_before, tallies_before = snapshot(engine, "events"), snapshot(engine, "event_tallies")

    command.upgrade(config, REVISION.revision)
    assert snapshot(engine, "events") == events_before
    assert snapshot(engine, "event_tallies") == tallies_before
    days = sorted({t["at"].date().isoformat() for t in taps})
    if engine.dialect.name == "postgresql":
        assert pg_shape(engine) == (True, INDEXES, ["event_id", "day"])
        with engine.connect() as conn:
            assert partition_days(conn) == days

    command.upgrade(config, "heads")  # what record_events writes besides the events
    assert snapshot(engine, "events") == events_before
    assert record_events(engine, [dict(t) for t in taps[:10]]) == (0, 10), "a resend"
    assert record_events(engine, [tap(60), dict(taps[0])]) == (1, 1)
    assert len(snapshot(engine, "events")) == 61
    assert sum(row[-3] for row in snapshot(engine, "event_tallies")) == 61

    command.downgrade(config, BEFORE)
    assert len(snapshot(engine, "events")) == 61
    if engine.dialect.name == "postgresql":
        assert pg_shape(engine) == (False, INDEXES, ["event_id"])
    command.upgrade(config, "heads")
    assert len(snapshot(engine, "events")) == 61
