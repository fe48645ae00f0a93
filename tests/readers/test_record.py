"""Read answers (30 01, 30 10), the PC/SC record and the appended address (30 03)."""

from __future__ import annotations

import contextlib

import pytest
from cardfactory import PHOTO, make_card
from hypothesis import given, settings
from hypothesis import strategies as st

from readers.card import CardType, Photo
from readers.errors import CardCheckDigitError, CardDataError, CardEncodingError, CardLengthError
from readers.record import (
    RECORD_SIZE,
    encode_appended_address,
    encode_record,
    parse_appended_address,
    parse_record,
)
from readers.textblock import encode_text_block

FINGER_A = bytes(range(256)) * 2
FINGER_B = bytes(reversed(range(256))) * 2


def test_a_30_01_record_is_the_1284_bytes_of_the_notes() -> None:
    card = make_card()
    record = encode_record(card, with_fingerprint=False)
    assert len(record) == RECORD_SIZE == 1284
    assert record[:4] == bytes.fromhex("01000400")
    assert record[4:260] == encode_text_block(card)
    assert record[260:] == PHOTO.wlt
    parsed = parse_record(record, with_fingerprint=False)
    assert parsed.name == card.name and parsed.id_number == card.id_number
    assert parsed.photo == PHOTO and parsed.photo.has_wlt_header
    assert parsed.fingerprints == ()
    assert parsed.raw == record


@pytest.mark.parametrize(
    ("fingers", "header", "size"),
    [
        ((), "010004000000", 1286),
        ((FINGER_A,), "010004000200", 1798),
        ((FINGER_A, FINGER_B), "010004000400", 2310),
    ],
)
def test_a_30_10_record_carries_zero_one_or_two_templates(
    fingers: tuple[bytes, ...], header: str, size: int
) -> None:
    record = encode_record(make_card(fingerprints=fingers), with_fingerprint=True)
    assert (record[:6].hex(), len(record)) == (header, size)
    parsed = parse_record(record, with_fingerprint=True)
    assert parsed.fingerprints == fingers
    assert parsed.has_fingerprint is bool(fingers)


def test_a_card_without_photo_has_photo_length_zero() -> None:
    record = encode_record(make_card(photo=None), with_fingerprint=False)
    assert record[:4] == bytes.fromhex("01000000") and len(record) == 260
    assert parse_record(record, with_fingerprint=False).photo is None


def test_a_photo_without_the_wlt_header_is_kept_and_flagged() -> None:
    odd = Photo(wlt=b"XX" + bytes(1022))
    parsed = parse_record(
        encode_record(make_card(photo=odd), with_fingerprint=False), with_fingerprint=False
    )
    assert parsed.photo == odd and not parsed.photo.has_wlt_header


GOOD = encode_record(make_card(fingerprints=(FINGER_A,)), with_fingerprint=True)


@pytest.mark.parametrize(
    ("record", "fp", "field", "offset", "message"),
    [
        (b"\x01\x00\x04", False, "record", None, "3 bytes, expected a 4-byte length header"),
        (bytes.fromhex("00ff0400") + bytes(1279), False, "text_length", 0, "255, expected 256"),
        (
            bytes.fromhex("010003e8") + bytes(1256),
            False,
            "photo_length",
            2,
            "1000, expected 0 or 1024",
        ),
        (
            GOOD[:4] + b"\x01\x00" + GOOD[6:],
            True,
            "fingerprint_length",
            4,
            "256, expected 0 or 512 or 1024",
        ),
        (GOOD[:-1], True, "record", None, "1797 bytes, the lengths in its header add up to 1798"),
        (GOOD + b"\x00", True, "record", None, "1799 bytes"),
        (GOOD, False, "record", None, "1798 bytes, the lengths in its header add up to 1284"),
    ],
)
def test_lengths_are_strict_and_errors_name_them(
    record: bytes, fp: bool, field: str, offset: int | None, message: str
) -> None:
    with pytest.raises(CardLengthError, match=message) as caught:
        parse_record(record, with_fingerprint=fp)
    assert (caught.value.field, caught.value.offset) == (field, offset)


def test_text_errors_inside_a_record_name_the_text_field() -> None:
    record = bytearray(encode_record(make_card(), with_fingerprint=False))
    record[4 + 156] ^= 0x01
    with pytest.raises(CardCheckDigitError) as caught:
        parse_record(bytes(record), with_fingerprint=False)
    assert caught.value.field == "id_number" and caught.value.offset == 122


def test_encode_refuses_what_the_layout_cannot_hold() -> None:
    with pytest.raises(CardLengthError, match="photo: 1000 bytes of WLT, expected 1024"):
        encode_record(make_card(photo=Photo(wlt=bytes(1000))), with_fingerprint=False)
    with pytest.raises(CardLengthError, match="fingerprints: expected up to two 512-byte"):
        encode_record(make_card(fingerprints=(FINGER_A,) * 3), with_fingerprint=True)
    with pytest.raises(CardLengthError, match="fingerprints"):
        encode_record(make_card(fingerprints=(b"short",)), with_fingerprint=True)


@settings(max_examples=100)
@given(
    st.sampled_from(list(CardType)),
    st.lists(st.binary(min_size=512, max_size=512), max_size=2),
    st.booleans(),
)
def test_records_round_trip(card_type: CardType, fingers: list[bytes], with_fp: bool) -> None:
    card = make_card(card_type, fingerprints=tuple(fingers))
    parsed = parse_record(encode_record(card, with_fingerprint=with_fp), with_fingerprint=with_fp)
    assert parsed.fingerprints == (tuple(fingers) if with_fp else ())
    assert (parsed.photo, parsed.id_number, parsed.name) == (card.photo, card.id_number, card.name)


@settings(max_examples=300)
@given(st.binary(max_size=2400), st.booleans())
def test_arbitrary_payloads_raise_only_card_data_errors(payload: bytes, with_fp: bool) -> None:
    with contextlib.suppress(CardDataError):
        parse_record(payload, with_fingerprint=with_fp)


@settings(max_examples=200)
@given(st.binary(min_size=256, max_size=256), st.booleans())
def test_well_framed_garbage_raises_only_card_data_errors(text: bytes, with_fp: bool) -> None:
    header = bytes.fromhex("010004000000" if with_fp else "01000400")
    with contextlib.suppress(CardDataError):
        parse_record(header + text + PHOTO.wlt, with_fingerprint=with_fp)


def test_the_appended_address_is_70_bytes_of_padded_text() -> None:
    data = encode_appended_address("北京市海淀区中关村大街1号")
    assert len(data) == 70 and data.endswith(b" \x00")
    assert parse_appended_address(data) == "北京市海淀区中关村大街1号"
    assert parse_appended_address(b" \x00" * 35) == ""
    assert parse_appended_address("上海市".encode("utf-16-le") + b"\x00" * 64) == "上海市"


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        (b" \x00" * 34, CardLengthError, "appended_address: 68 bytes, expected 70"),
        (b"\x00\xd8" + b" \x00" * 34, CardEncodingError, "broken surrogate pair"),
        (b"\x1b\x00" + b" \x00" * 34, CardEncodingError, "control character"),
    ],
)
def test_bad_appended_addresses_say_what_is_wrong(
    data: bytes, error: type[CardDataError], message: str
) -> None:
    with pytest.raises(error, match=message):
        parse_appended_address(data)


def test_an_appended_address_too_long_to_encode() -> None:
    with pytest.raises(CardLengthError, match="72 bytes of text do not fit in 70"):
        encode_appended_address("路" * 36)
