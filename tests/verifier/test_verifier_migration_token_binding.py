"""Revision 0102_token_binding on a populated database, SQLite and PostgreSQL: a store at 0101
with tokens, heartbeats and events of the release before is upgraded; every row is kept, the
old kiosk tokens name no kiosk and bind on their first use; a downgrade keeps the rows and the
unique token hash; and upgrading again works."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from verifier.store.engine import alembic_config
from verifier.store.tokens import bind_token, find_token, token_hash

pytest_plugins = ("verifier_fixtures",)
NOW = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
OLD_TOKENS = sa.table(
    "tokens",
    sa.column("name"),
    sa.column("role"),
    sa.column("site"),
    sa.column("sha256"),
    sa.column("created_at"),
    sa.column("revoked_at"),
)
OLD_HEARTBEATS = sa.table(
    "heartbeats", sa.column("kiosk_id"), sa.column("site"), sa.column("doc", sa.JSON),
    sa.column("received_at"),
)  # fmt: skip
OLD_EVENTS = sa.table(
    "events", *(sa.column(c) for c in ("event_id", "kiosk_id", "site", "at", "day", "verdict")),
    sa.column("reasons", sa.JSON), *(sa.column(c) for c in ("source", "card_type", "age_band")),
    sa.column("received_at"),
)  # fmt: skip


def populate_0101(engine: Engine) -> dict[str, str]:
    """The rows a verifier of the release before would hold; the plaintext tokens by name."""
    plain = {name: secrets.token_urlsafe(32) for name in ("lane-1", "lane-2", "desk", "gone")}
    roles = {"lane-1": "kiosk", "lane-2": "kiosk", "desk": "staff", "gone": "admin"}
    sites = {"lane-1": "hospital-a", "lane-2": None, "desk": "hospital-a", "gone": None}
    doc = {"kiosk_id": "lane-1", "site": "hospital-a", "anything": {"as": ["sent"]}}
    with engine.begin() as conn:
        for name, token in plain.items():
            row = {"name": name, "role": roles[name], "site": sites[name]}
            revoked = NOW if name == "gone" else None
            conn.execute(
                sa.insert(OLD_TOKENS).values(
                    **row, sha256=token_hash(token), created_at=NOW, revoked_at=revoked
                )
            )
        conn.execute(
            sa.insert(OLD_HEARTBEATS).values(
                kiosk_id="lane-1", site="hospital-a", doc=doc, received_at=NOW
            )
        )
        conn.execute(
            sa.insert(OLD_EVENTS).values(
                event_id="ev-1",
                kiosk_id="lane-1",
                site="hospital-a",
                at=NOW,
                day="2026-11-28",
                verdict="PASS",
                reasons=["CODE_GREEN"],
                source="online",
                card_type="resident",
                age_band="60+",
                received_at=NOW,
            )
        )
    return plain


def columns(engine: Engine, table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(engine).get_columns(table)}


def rows(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_0102_keeps_every_row_and_old_kiosk_tokens_bind_on_first_use(empty_store: Engine) -> None:
    engine = empty_store
    config = alembic_config(engine)
    command.upgrade(config, "0101_risklist")
    plain = populate_0101(engine)
    assert "kiosk_id" not in columns(engine, "tokens")

    command.upgrade(config, "0102_token_binding")
    assert "kiosk_id" in columns(engine, "tokens")
    assert (rows(engine, "tokens"), rows(engine, "heartbeats"), rows(engine, "events")) == (4, 1, 1)
    lane_1, lane_2, desk = (find_token(engine, plain[n]) for n in ("lane-1", "lane-2", "desk"))
    assert lane_1 is not None and (lane_1.kiosk_id, lane_1.site) == (None, "hospital-a")
    assert lane_2 is not None and (lane_2.kiosk_id, lane_2.site) == (None, None)
    assert desk is not None and (desk.role, desk.kiosk_id) == ("staff", None)
    assert find_token(engine, plain["gone"]) is None, "revoked stays revoked"

    bound = bind_token(engine, lane_1.id, kiosk_id="lane-1", site="hospital-a")
    assert bound is not None and (bound.kiosk_id, bound.site) == ("lane-1", "hospital-a")
    wrong_site = bind_token(engine, lane_2.id, kiosk_id="lane-1", site="metro-2")
    assert wrong_site is not None and wrong_site.kiosk_id is None, "lane-1 has its token"
    staff = bind_token(engine, desk.id, kiosk_id="lane-9", site="hospital-a")
    assert staff is not None and staff.kiosk_id is None, "only kiosk tokens bind"

    command.upgrade(config, "heads")
    command.downgrade(config, "0101_risklist")
    assert "kiosk_id" not in columns(engine, "tokens")
    assert (rows(engine, "tokens"), rows(engine, "heartbeats"), rows(engine, "events")) == (4, 1, 1)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        again = {"name": "x", "role": "staff", "sha256": token_hash(plain["desk"])}
        conn.execute(sa.insert(OLD_TOKENS).values(**again, created_at=NOW))
    command.upgrade(config, "heads")
    relisted = find_token(engine, plain["lane-1"])
    assert relisted is not None and relisted.kiosk_id is None, "a downgrade forgets the binding"
