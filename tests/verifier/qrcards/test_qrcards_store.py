"""Issued and revoked cards in the store, on SQLite and PostgreSQL: a revocation is recorded once
and listed for the risk list until a day after the card would have expired."""

from __future__ import annotations

import datetime as dt

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from verifier.qrcards.issue import make_card
from verifier.qrcards.store import record_card, revoke_card, revoked_prefixes
from verifier.qrcards.token import revocation_prefix
from verifier.risklist.build import publish

pytest_plugins = ("verifier_fixtures",)

NOW = dt.datetime(2026, 11, 28, 8, 0, tzinfo=dt.UTC)
KEY = Ed25519PrivateKey.generate()


def issued(engine: Engine, days: int = 30) -> bytes:
    card = make_card(b"p" * 40, KEY, id_number="11010519491231002X", valid_days=days, now=NOW)
    record_card(engine, card.claims, card.key_id)
    return card.claims.serial


def test_a_card_is_revoked_once_and_listed_until_it_expires(engine: Engine) -> None:
    serial, kept = issued(engine), issued(engine)
    first = revoke_card(engine, serial, NOW + dt.timedelta(hours=1))
    second = revoke_card(engine, serial, NOW + dt.timedelta(hours=2))
    assert (first.revoked_at, first.already) == (NOW + dt.timedelta(hours=1), False)
    assert (second.revoked_at, second.already) == (first.revoked_at, True)
    assert first.expires_at == NOW + dt.timedelta(days=30)
    assert revoke_card(engine, bytes(8), NOW).revoked_at is None

    with engine.connect() as conn:
        assert revoked_prefixes(conn, still_valid_on=NOW.date()) == [revocation_prefix(serial)]
        later = (NOW + dt.timedelta(days=31)).date()
        assert revoked_prefixes(conn, still_valid_on=later) == []
    assert revocation_prefix(kept) != revocation_prefix(serial)


def test_the_risk_list_drops_a_revoked_card_a_day_after_its_expiry(engine: Engine) -> None:
    serial = issued(engine, days=10)
    revoke_card(engine, serial, NOW)
    on_expiry_day = publish(engine, KEY, now=NOW + dt.timedelta(days=10, hours=1))
    day_after = publish(engine, KEY, now=NOW + dt.timedelta(days=11, hours=1))
    two_days_after = publish(engine, KEY, now=NOW + dt.timedelta(days=12, hours=1))
    assert (on_expiry_day.entries, day_after.entries, two_days_after.entries) == (1, 1, 0)
