"""The stats' p95 at 10^7 events: a latency histogram kept beside the tallies, and a cache of
each day's and each day and site's p95 (verifier/store/p95.py).

``event_latencies`` is counted from the events already stored, with the buckets of
verifier/store/latency.py; from then on ``record_events`` and ``purge_events`` keep it in step in
their own transactions. ``event_p95s`` starts empty: the first stats answer fills it. Counting
reads every timed event once (a few minutes at 10^8 events on PostgreSQL) while uploads go on.

Revision ID: 0122_event_p95s
Revises: 0121_event_partitions
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from verifier.store.latency import bucket_sql

revision = "0122_event_p95s"
down_revision = "0121_event_partitions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event_latencies",
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("site", sa.String(64), nullable=False),
        sa.Column("bucket", sa.Integer, nullable=False),
        sa.Column("events", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("day", "site", "bucket", name="pk_event_latencies"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "event_p95s",
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("site", sa.String(64), nullable=False),
        sa.Column("timed", sa.BigInteger, nullable=False),
        sa.Column("p95_ms", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("day", "site", name="pk_event_p95s"),
        sqlite_with_rowid=False,
    )
    bucket = bucket_sql("latency_ms", op.get_bind().dialect.name)
    op.execute(
        "INSERT INTO event_latencies (day, site, bucket, events) "
        f"SELECT day, site, bucket, count(*) FROM (SELECT day, site, {bucket} AS bucket "
        "FROM events WHERE latency_ms IS NOT NULL) AS timed GROUP BY day, site, bucket"
    )


def downgrade() -> None:
    op.drop_table("event_p95s")
    op.drop_table("event_latencies")
