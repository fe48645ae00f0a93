"""Initial schema: health codes, travel, card status, events, heartbeats, tokens.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SUBJECT = sa.String(64)
INSTANT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "health_codes",
        sa.Column("subject", SUBJECT, nullable=False),
        sa.Column("color", sa.String(8), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("updated_at", INSTANT, nullable=False),
        sa.Column("nat_at", INSTANT),
        sa.Column("vaccine_doses", sa.Integer),
        sa.PrimaryKeyConstraint("subject", name="pk_health_codes"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "travel",
        sa.Column("subject", SUBJECT, nullable=False),
        sa.Column("place_code", sa.String(32), nullable=False),
        sa.Column("visited_on", sa.Date, nullable=False),
        sa.Column("place_name", sa.Text, nullable=False),
        sa.Column("risk", sa.String(8), nullable=False),
        sa.Column("updated_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("subject", "place_code", "visited_on", name="pk_travel"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "card_status",
        sa.Column("subject", SUBJECT, nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("updated_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("subject", name="pk_card_status"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "events",
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("kiosk_id", sa.String(64), nullable=False),
        sa.Column("site", sa.String(64), nullable=False),
        sa.Column("at", INSTANT, nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("verdict", sa.String(8), nullable=False),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("card_type", sa.String(32), nullable=False),
        sa.Column("age_band", sa.String(8), nullable=False),
        sa.Column("subject", SUBJECT),
        sa.Column("latency_ms", sa.Float),
        sa.Column("received_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("event_id", name="pk_events"),
    )
    op.create_index("ix_events_at", "events", ["at"])
    op.create_index("ix_events_day_site", "events", ["day", "site"])
    op.create_table(
        "heartbeats",
        sa.Column("kiosk_id", sa.String(64), nullable=False),
        sa.Column("site", sa.String(64), nullable=False),
        sa.Column("doc", sa.JSON, nullable=False),
        sa.Column("received_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("kiosk_id", name="pk_heartbeats"),
    )
    op.create_table(
        "tokens",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("site", sa.String(64)),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("revoked_at", INSTANT),
        sa.PrimaryKeyConstraint("id", name="pk_tokens"),
        sa.UniqueConstraint("sha256", name="uq_tokens_sha256"),
    )


def downgrade() -> None:
    for table in ("tokens", "heartbeats", "events", "card_status", "travel", "health_codes"):
        op.drop_table(table)
