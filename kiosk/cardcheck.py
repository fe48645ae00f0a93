"""What the kiosk can tell about a card by itself: validity dates and the holder's age band."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Literal

from readers import IdCard

Outcome = Literal["ok", "warn", "fail", "unknown"]
ELDER_BAND = "60+"


@dataclasses.dataclass(frozen=True, slots=True)
class CardCheck:
    outcome: Outcome
    reasons: tuple[str, ...]
    age_band: str


def age_band(age: int) -> str:
    """The contract's bands: ``0-17``, ``18-59``, ``60+``."""
    if age < 18:
        return "0-17"
    return "18-59" if age < 60 else ELDER_BAND


def check_card(card: IdCard, today: dt.date) -> CardCheck:
    """Dates against ``today``; the check digit was already verified when the card was parsed."""
    band = age_band(card.age_on(today))
    if today < card.valid_from:
        return CardCheck("fail", ("CARD_NOT_YET_VALID",), band)
    if card.valid_until is not None and today > card.valid_until:
        return CardCheck("fail", ("CARD_EXPIRED",), band)
    return CardCheck("ok", ("CARD_VALID",), band)


def card_facts(card: IdCard, check: CardCheck) -> dict[str, object]:
    """The ``card`` object of ``POST /v1/verify``."""
    return {
        "card_type": card.card_type.value,
        "valid_from": card.valid_from.isoformat(),
        "valid_until": card.valid_until.isoformat() if card.valid_until else None,
        "age_band": check.age_band,
        "id_number_valid": True,
    }
