"""Making one card: the ID number becomes a subject here and goes nowhere else; the claims are
signed and handed back to be printed, then recorded (``store.record_card``) so the card can be
revoked."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from verifier.idnumber import id_number_problem, normalize_id_number
from verifier.lookup import NotAnIdNumber
from verifier.qrcards.holder import age_band_of, card_type_of
from verifier.qrcards.token import CardClaims, key_id, new_serial, sign_token
from verifier.subjects import subject_of


@dataclass(frozen=True, slots=True)
class IssuedCard:
    """The card's QR text, what it says and which key signed it."""

    token: str
    claims: CardClaims
    key_id: bytes


def make_card(
    pepper: bytes,
    key: Ed25519PrivateKey,
    *,
    id_number: str,
    valid_days: int,
    now: dt.datetime,
    age_band: str | None = None,
) -> IssuedCard:
    """A signed card for ``id_number`` valid ``valid_days`` from ``now``.

    NotAnIdNumber or HolderError (never repeating the number) when it cannot be issued."""
    number = normalize_id_number(id_number)
    problem = id_number_problem(number)
    if problem is not None:
        raise NotAnIdNumber(problem)
    issued = now.astimezone(dt.UTC).replace(microsecond=0)
    claims = CardClaims(
        serial=new_serial(),
        subject=subject_of(pepper, number),
        issued_at=issued,
        expires_at=issued + dt.timedelta(days=valid_days),
        card_type=card_type_of(number),
        age_band=age_band_of(number, issued.date(), age_band),
    )
    return IssuedCard(sign_token(claims, key), claims, key_id(key.public_key()))
