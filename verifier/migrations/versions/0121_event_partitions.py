"""Events partitioned by day on PostgreSQL; SQLite is left as it is.

The populated ``events`` table is rebuilt in place as ``PARTITION BY RANGE (day)`` with one
partition per day that has events (``events_pYYYYMMDD``, [day, next day)), every row copied,
the same indexes, ``event_tallies`` untouched. The new table copies the old one's columns
(``LIKE``), so it keeps whatever types the revisions before gave them.

Why ``day`` and not ``at``: the stats select by ``day`` (the kiosk's local date), so only a
``day`` key lets them prune to the window's partitions; ``at`` is an instant, and a local date
spans a different instant range at every UTC offset, so an ``at`` key could not be pruned from
a ``day`` window. Retention then drops whole local dates, and the key every unique index must
hold is one the event carries from the kiosk: ``day`` is derived from ``at`` as sent.

Uniqueness: the primary key becomes (event_id, day). A kiosk resends an event with the same id
and the same ``at``, hence the same ``day``, so a resend stays a duplicate (``ON CONFLICT
(event_id, day)`` in ``record_events``); an id sent again with another date would be stored
twice.

Later partitions are made by the service (verifier/store/partitions.py). On a large table this
revision copies every row and rebuilds the indexes while holding ``events`` exclusively:
uploads wait (kiosks keep them in their outbox) — run it in a quiet hour.

Revision ID: 0121_event_partitions
Revises: 0120_subject_bytes
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0121_event_partitions"
down_revision = "0120_subject_bytes"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_events_at": ["at"],
    "ix_events_day_site_latency_ms": ["day", "site", "latency_ms"],
    "ix_events_day_latency_ms": ["day", "latency_ms"],
    "ix_events_latency_ms_day_site": ["latency_ms", "day", "site"],
}
DAYS = sa.text(
    """
    WITH RECURSIVE days(day) AS (
        SELECT min(day) FROM events_old
        UNION ALL
        SELECT (SELECT min(day) FROM events_old WHERE day > days.day)
        FROM days WHERE days.day IS NOT NULL
    )
    SELECT day FROM days WHERE day IS NOT NULL
    """
)
"""The distinct days, one index probe each (PostgreSQL has no skip scan of its own)."""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _rebuild("PARTITION BY RANGE (day)", ["event_id", "day"])


def downgrade() -> None:
    """Back to one table keyed by event_id: refused (nothing changes) if an id is stored on
    two days."""
    if op.get_bind().dialect.name != "postgresql":
        return
    _rebuild("", ["event_id"])


def _rebuild(partitioning: str, key: list[str]) -> None:
    """``events`` copied into a new table of the same columns (partitioned by day when
    ``partitioning`` says so, one partition per day with events), then keyed and indexed."""
    bind = op.get_bind()
    op.execute("SET LOCAL maintenance_work_mem = '256MB'")
    op.execute("LOCK TABLE events IN ACCESS EXCLUSIVE MODE")
    op.execute("ALTER TABLE events RENAME TO events_old")
    op.execute(f"CREATE TABLE events (LIKE events_old INCLUDING DEFAULTS) {partitioning}")
    if partitioning:
        for day in bind.execute(DAYS).scalars():
            first = date.fromisoformat(day)  # refuses anything but a date
            after = "MAXVALUE" if first == date.max else f"'{first + timedelta(days=1)}'"
            name = "events_p" + first.isoformat().replace("-", "")
            op.execute(
                f"CREATE TABLE {name} PARTITION OF events FOR VALUES FROM ('{first}') TO ({after})"
            )
    op.execute("INSERT INTO events SELECT * FROM events_old")
    op.execute("DROP TABLE events_old")
    op.create_primary_key("pk_events", "events", key)
    for name, columns in INDEXES.items():
        op.create_index(name, "events", columns)
    op.execute("ANALYZE events")
