"""Risk list: the published entries and one row per version with its signed payloads.

Revision ID: 0101_risklist
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0101_risklist"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "risklist_entries",
        sa.Column("prefix", sa.String(32), nullable=False),
        sa.Column("flags", sa.SmallInteger, nullable=False),
        sa.PrimaryKeyConstraint("prefix", name="pk_risklist_entries"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "risklist_versions",
        sa.Column("version", sa.BigInteger().with_variant(sa.Integer, "sqlite"), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("entries", sa.Integer, nullable=False),
        sa.Column("changes", sa.Integer, nullable=False),
        sa.Column("delta", sa.LargeBinary, nullable=False),
        sa.Column("snapshot", sa.LargeBinary),
        sa.PrimaryKeyConstraint("version", name="pk_risklist_versions"),
    )


def downgrade() -> None:
    op.drop_table("risklist_versions")
    op.drop_table("risklist_entries")
