"""Issued cards in the store: recorded at issue, revoked by serial, listed for the risk list."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import SQLAlchemyError

from verifier.qrcards.token import CardClaims, revocation_prefix
from verifier.store import StoreError
from verifier.store.schema import qr_cards
from verifier.timeutil import as_utc


@dataclass(frozen=True, slots=True)
class Revocation:
    """What ``revoke_card`` found: ``None`` fields when no card has the serial."""

    revoked_at: dt.datetime | None
    expires_at: dt.datetime | None
    already: bool = False


def record_card(engine: Engine, claims: CardClaims, key_id: bytes) -> None:
    """Keep an issued card (its serial, subject and dates) so it can be revoked; StoreError
    when the store refuses."""
    row = {
        "serial": claims.serial.hex(),
        "subject": claims.subject,
        "key_id": key_id.hex(),
        "issued_at": claims.issued_at,
        "expires_at": claims.expires_at,
    }
    try:
        with engine.begin() as conn:
            conn.execute(qr_cards.insert().values(**row))
    except SQLAlchemyError as exc:
        raise StoreError(f"store: cannot record the card: {type(exc).__name__}") from None


def revoke_card(engine: Engine, serial: bytes, now: dt.datetime) -> Revocation:
    """Mark the card revoked at ``now`` (once: a second call reports the first time)."""
    with engine.begin() as conn:
        row = conn.execute(
            select(qr_cards.c.revoked_at, qr_cards.c.expires_at).where(
                qr_cards.c.serial == serial.hex()
            )
        ).first()
        if row is None:
            return Revocation(None, None)
        if row.revoked_at is not None:
            return Revocation(as_utc(row.revoked_at), as_utc(row.expires_at), already=True)
        conn.execute(
            qr_cards.update().where(qr_cards.c.serial == serial.hex()).values(revoked_at=now)
        )
    return Revocation(now, as_utc(row.expires_at))


def revoked_prefixes(conn: Connection, *, still_valid_on: dt.date) -> list[str]:
    """Risk-list keys of revoked cards not expired before ``still_valid_on`` (a day of slack
    for kiosk clocks is the caller's); expired cards are refused anyway."""
    since = dt.datetime.combine(still_valid_on, dt.time.min, dt.UTC)
    query = select(qr_cards.c.serial).where(
        qr_cards.c.revoked_at.is_not(None), qr_cards.c.expires_at >= since
    )
    return [revocation_prefix(bytes.fromhex(serial)) for (serial,) in conn.execute(query)]
