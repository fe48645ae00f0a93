"""IdCard: what it shows when printed, photo and fingerprint facts, age on a day."""

from __future__ import annotations

import datetime as dt

from cardfactory import PHOTO, make_card

from readers.card import CardType, Photo
from readers.errors import CardDataError


def test_repr_and_str_never_show_the_id_number_or_name() -> None:
    card = make_card(raw=b"\x01" * 256)
    for text in (repr(card), str(card), f"{card}", repr([card])):
        assert card.id_number not in text
        assert card.name not in text
        assert "01 01" not in text


def test_age_counts_whole_years_up_to_the_birthday() -> None:
    card = make_card(birth_date=dt.date(1950, 3, 7))
    assert card.age_on(dt.date(2026, 3, 6)) == 75
    assert card.age_on(dt.date(2026, 3, 7)) == 76


def test_photo_and_fingerprint_flags() -> None:
    assert make_card().has_photo
    assert not make_card(photo=None).has_photo
    assert not make_card(photo=Photo(wlt=b"")).has_photo
    assert make_card(fingerprints=(bytes(512),)).has_fingerprint
    assert not make_card().has_fingerprint


def test_wlt_header_is_recorded_not_enforced() -> None:
    assert PHOTO.has_wlt_header
    assert not Photo(wlt=b"BM" + bytes(1022)).has_wlt_header


def test_card_data_errors_hide_id_number_bytes_but_show_others() -> None:
    hidden = CardDataError("id_number", "bad", offset=122, data=b"4\x004\x00")
    shown = CardDataError("name", "bad", offset=0, data=b"\xff\xfe")
    assert "34" not in str(hidden) and str(hidden) == "id_number at byte 122: bad"
    assert hidden.data is None and hidden.reason == "bad"
    assert str(shown) == "name at byte 0: bad (bytes ff fe)"


def test_every_card_type_has_a_factory_card() -> None:
    assert {make_card(t).card_type for t in CardType} == set(CardType)
