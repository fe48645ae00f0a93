"""Printed elder QR cards: one row per issued card, with its revocation.

Revision ID: 0110_qr_cards
Revises: 0104_events_stats
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0110_qr_cards"
down_revision = "0104_events_stats"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "qr_cards",
        sa.Column("serial", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("key_id", sa.String(8), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("serial", name="pk_qr_cards"),
    )
    op.create_index("ix_qr_cards_revoked_at", "qr_cards", ["revoked_at"])


def downgrade() -> None:
    op.drop_index("ix_qr_cards_revoked_at", table_name="qr_cards")
    op.drop_table("qr_cards")
