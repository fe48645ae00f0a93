"""Console sessions: the staff console's cookie holds an opaque session id, kept here hashed.

Revision ID: 0103_console_sessions
Revises: 0102_token_binding
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0103_console_sessions"
down_revision = "0102_token_binding"
branch_labels = None
depends_on = None

INSTANT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "console_sessions",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("token_id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("expires_at", INSTANT, nullable=False),
        sa.Column("seen_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("sha256", name="pk_console_sessions"),
        sa.ForeignKeyConstraint(
            ["token_id"],
            ["tokens.id"],
            name="fk_console_sessions_token_id_tokens",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_console_sessions_expires_at", "console_sessions", ["expires_at"])
    op.create_index("ix_console_sessions_token_id", "console_sessions", ["token_id"])


def downgrade() -> None:
    op.drop_table("console_sessions")
