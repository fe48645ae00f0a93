"""The card token's parts a person handles: serials as printed and typed, the holder read off the
ID number, the masked name on the card."""

from __future__ import annotations

import datetime as dt

import pytest

from readers.masking import mask_name as reader_mask_name
from verifier.qrcards.holder import HolderError, age_band_of, card_type_of
from verifier.qrcards.masking import mask_name
from verifier.qrcards.token import SerialError, new_serial, parse_serial, serial_text

TODAY = dt.date(2026, 12, 1)


def test_a_serial_reads_back_however_it_is_typed() -> None:
    serial = bytes.fromhex("3f9a71c20b4ed815")
    assert serial_text(serial) == "3F9A-71C2-0B4E-D815"
    for typed in ("3F9A-71C2-0B4E-D815", "3f9a71c20b4ed815", " 3F9A 71C2 0B4E D815 "):
        assert parse_serial(typed) == serial
    assert len({new_serial() for _ in range(100)}) == 100


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("3F9A-71C2-0B4E", "12 hex digits, expected 16"),
        ("3F9A-71C2-0B4E-D81G", "'G' is not a hex digit"),
    ],
)
def test_a_mistyped_serial_says_what_was_expected(typed: str, message: str) -> None:
    with pytest.raises(SerialError, match=message):
        parse_serial(typed)


@pytest.mark.parametrize(
    ("number", "card_type", "band"),
    [
        ("11010519491231002X", "resident", "60+"),
        ("110105196612010025", "resident", "60+"),
        ("110105196612020025", "resident", "18-59"),
        ("110105196701010026", "resident", "18-59"),
        ("110105201001010021", "resident", "0-17"),
        ("810000194001010010", "hkmt_residence", "60+"),
        ("932682195001010010", "foreign_permanent_2023", "60+"),
    ],
)
def test_card_type_and_age_band_come_from_the_number(
    number: str, card_type: str, band: str
) -> None:
    assert card_type_of(number) == card_type
    assert age_band_of(number, TODAY) == band


def test_the_2017_foreigner_number_needs_the_age_band_given() -> None:
    number = "USA123456789012"
    assert card_type_of(number) == "foreign_permanent"
    with pytest.raises(HolderError, match="--age-band"):
        age_band_of(number, TODAY)
    assert age_band_of(number, TODAY, "60+") == "60+"


def test_a_number_without_a_real_birth_date_is_refused_without_repeating_it() -> None:
    with pytest.raises(HolderError, match="not a real birth date") as caught:
        age_band_of("110105194913310020", TODAY)
    assert "110105" not in str(caught.value)


@pytest.mark.parametrize(
    "name", ["张三明", "张明", "明", "欧阳小明", "买买提·艾力", "ZHANG SAN", "SMITH, JOHN", " "]
)
def test_names_are_masked_exactly_as_on_the_kiosk_screen(name: str) -> None:
    assert mask_name(name) == reader_mask_name(name)
