"""Kiosk tokens name their kiosk: ``tokens.kiosk_id``.

Kiosk tokens issued before this revision keep ``kiosk_id`` NULL and bind to the kiosk and site
of their first heartbeat or event batch (verifier/store/tokens.py ``bind_token``), so a fleet
keeps working through the upgrade instead of every kiosk being refused until it is re-issued.

Revision ID: 0102_token_binding
Revises: 0101_risklist
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0102_token_binding"
down_revision = "0101_risklist"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tokens", sa.Column("kiosk_id", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("tokens") as batch:
        batch.drop_column("kiosk_id")
