"""kiosk/cardcheck.py: what the kiosk decides about a card on its own (dates, age band)."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk.cardcheck import age_band, card_facts, check_card
from readers import CardType, Gender, IdCard

TODAY = dt.date(2026, 11, 28)


def card(valid_from: dt.date, valid_until: dt.date | None, born: dt.date) -> IdCard:
    return IdCard(
        card_type=CardType.RESIDENT,
        name="张三",
        gender=Gender.MALE,
        birth_date=born,
        id_number="110105198503121234",
        valid_from=valid_from,
        valid_until=valid_until,
    )


@pytest.mark.parametrize(
    ("valid_from", "valid_until", "outcome", "reason"),
    [
        (dt.date(2020, 1, 1), dt.date(2040, 1, 1), "ok", "CARD_VALID"),
        (dt.date(2020, 1, 1), None, "ok", "CARD_VALID"),
        (dt.date(2020, 1, 1), TODAY, "ok", "CARD_VALID"),
        (dt.date(2006, 1, 1), dt.date(2026, 11, 27), "fail", "CARD_EXPIRED"),
        (dt.date(2026, 11, 29), dt.date(2046, 11, 29), "fail", "CARD_NOT_YET_VALID"),
    ],
)
def test_validity_dates(
    valid_from: dt.date, valid_until: dt.date | None, outcome: str, reason: str
) -> None:
    check = check_card(card(valid_from, valid_until, dt.date(1985, 3, 12)), TODAY)
    assert (check.outcome, check.reasons) == (outcome, (reason,))


def test_age_band_on_the_day_of_the_tap() -> None:
    assert age_band(17) == "0-17" and age_band(18) == "18-59" and age_band(60) == "60+"
    turning_60_tomorrow = card(dt.date(2020, 1, 1), None, dt.date(1966, 11, 29))
    assert check_card(turning_60_tomorrow, TODAY).age_band == "18-59"
    assert check_card(turning_60_tomorrow, TODAY + dt.timedelta(days=1)).age_band == "60+"


def test_facts_sent_to_the_verifier_carry_no_identity() -> None:
    c = card(dt.date(2020, 1, 1), None, dt.date(1950, 1, 1))
    facts = card_facts(c, check_card(c, TODAY))
    assert facts == {
        "card_type": "resident",
        "valid_from": "2020-01-01",
        "valid_until": None,
        "age_band": "60+",
        "id_number_valid": True,
    }
