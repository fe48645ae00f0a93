"""Stats at 10^6 events: per-day tallies kept beside the events, and latency indexes for p95.

``event_tallies`` is filled from the events already stored; from then on ``record_events`` and
``purge_events`` keep it in step in their own transactions. The (day, site) index gives way to
(day, site, latency_ms), which serves the same lookups.

Revision ID: 0104_events_stats
Revises: 0103_console_sessions
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0104_events_stats"
down_revision = "0103_console_sessions"
branch_labels = None
depends_on = None

KEY = ("day", "site", "verdict", "age_band")


def upgrade() -> None:
    op.create_table(
        "event_tallies",
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("site", sa.String(64), nullable=False),
        sa.Column("verdict", sa.String(8), nullable=False),
        sa.Column("age_band", sa.String(8), nullable=False),
        sa.Column("events", sa.BigInteger, nullable=False),
        sa.Column("offline", sa.BigInteger, nullable=False),
        sa.Column("timed", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint(*KEY, name="pk_event_tallies"),
        sqlite_with_rowid=False,
    )
    key = ", ".join(KEY)
    op.execute(
        f"INSERT INTO event_tallies ({key}, events, offline, timed) "
        f"SELECT {key}, count(*), sum(CASE WHEN source = 'online' THEN 0 ELSE 1 END), "
        f"count(latency_ms) FROM events GROUP BY {key}"
    )
    op.drop_index("ix_events_day_site", table_name="events")
    op.create_index("ix_events_day_site_latency_ms", "events", ["day", "site", "latency_ms"])
    op.create_index("ix_events_day_latency_ms", "events", ["day", "latency_ms"])
    op.create_index("ix_events_latency_ms_day_site", "events", ["latency_ms", "day", "site"])


def downgrade() -> None:
    op.drop_index("ix_events_latency_ms_day_site", table_name="events")
    op.drop_index("ix_events_day_latency_ms", table_name="events")
    op.drop_index("ix_events_day_site_latency_ms", table_name="events")
    op.create_index("ix_events_day_site", "events", ["day", "site"])
    op.drop_table("event_tallies")
