"""The 256-byte text block: every field of every card type, every error, round trips."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt

import pytest
from cardfactory import make_card, make_foreign_2017_number, make_id_number
from hypothesis import given, settings
from hypothesis import strategies as st

from readers.card import CardType, Gender, IdCard
from readers.errors import (
    CardCheckDigitError,
    CardCodeError,
    CardDataError,
    CardDateError,
    CardEncodingError,
    CardLengthError,
    CardMismatchError,
    CardMissingFieldError,
)
from readers.ethnicity import ETHNICITIES
from readers.textblock import encode_text_block, parse_text_block


def lay(*fields: tuple[int, str]) -> bytes:
    """A block laid out by hand from the protocol notes: text at byte offsets, space padded."""
    block = bytearray(b" \x00" * 128)
    for offset, text in fields:
        data = text.encode("utf-16-le")
        block[offset : offset + len(data)] = data
    return bytes(block)


def patch(block: bytes, offset: int, data: bytes) -> bytes:
    return block[:offset] + data + block[offset + len(data) :]


def u16(text: str) -> bytes:
    return text.encode("utf-16-le")


RESIDENT_NUMBER = make_id_number("110105", dt.date(1949, 12, 31), 2, male=False)
HKMT_NUMBER = make_id_number("820000", dt.date(1980, 2, 29), 21, male=True)
Y_NUMBER = make_id_number("931250", dt.date(1970, 1, 1), 30, male=False)
I_NUMBER = make_foreign_2017_number("FRA", dt.date(1965, 6, 30))


def test_every_field_of_a_resident_card() -> None:
    block = lay(
        (0, "欧阳小明"),
        (30, "2"),
        (32, "29"),
        (36, "19491231"),
        (52, "北京市朝阳区建国路1号院2号楼301"),
        (122, RESIDENT_NUMBER),
        (158, "北京市公安局朝阳分局"),
        (188, "20100101"),
        (204, "长期"),
    )
    card = parse_text_block(block)
    assert card.card_type is CardType.RESIDENT
    assert card.name == "欧阳小明"
    assert card.gender is Gender.FEMALE
    assert (card.ethnicity_code, card.ethnicity) == ("29", "柯尔克孜")
    assert card.birth_date == dt.date(1949, 12, 31)
    assert card.address == "北京市朝阳区建国路1号院2号楼301"
    assert card.id_number == RESIDENT_NUMBER
    assert card.issuer == "北京市公安局朝阳分局"
    assert card.valid_from == dt.date(2010, 1, 1)
    assert card.valid_until is None
    assert (card.name_en, card.nationality, card.pass_number, card.issue_count) == (None,) * 4
    assert card.raw == block


def test_long_term_is_the_bytes_of_the_notes() -> None:
    assert u16("长期") == bytes.fromhex("7F951F67")


def test_every_field_of_a_hkmt_permit() -> None:
    block = lay(
        (0, "何嘉欣"),
        (30, "1"),
        (36, "19800229"),
        (52, "广东省珠海市香洲区情侣中路9号"),
        (122, HKMT_NUMBER),
        (158, "珠海市公安局"),
        (188, "20230601"),
        (204, "20280601"),
        (220, "M12345678"),
        (238, "03"),
        (248, "J"),
    )
    card = parse_text_block(block)
    assert card.card_type is CardType.HKMT_RESIDENCE
    assert (card.name, card.gender, card.birth_date) == (
        "何嘉欣",
        Gender.MALE,
        dt.date(1980, 2, 29),
    )
    assert card.address == "广东省珠海市香洲区情侣中路9号"
    assert card.id_number == HKMT_NUMBER
    assert card.issuer == "珠海市公安局"
    assert (card.valid_from, card.valid_until) == (dt.date(2023, 6, 1), dt.date(2028, 6, 1))
    assert (card.pass_number, card.issue_count) == ("M12345678", 3)
    assert (card.ethnicity, card.ethnicity_code) == (None, None)


def test_every_field_of_a_2017_foreigner_card() -> None:
    block = lay(
        (0, "DUPONT, JEAN-PIERRE MARIE"),
        (120, "1"),
        (122, I_NUMBER),
        (152, "FRA"),
        (158, "杜邦"),
        (188, "20200315"),
        (204, "20300315"),
        (220, "19650630"),
        (236, "01"),
        (240, "1500"),
        (248, "I"),
    )
    card = parse_text_block(block)
    assert card.card_type is CardType.FOREIGN_PERMANENT
    assert (card.name_en, card.name) == ("DUPONT, JEAN-PIERRE MARIE", "杜邦")
    assert card.gender is Gender.MALE
    assert (card.id_number, card.nationality) == (I_NUMBER, "FRA")
    assert (card.valid_from, card.valid_until) == (dt.date(2020, 3, 15), dt.date(2030, 3, 15))
    assert card.birth_date == dt.date(1965, 6, 30)
    assert (card.card_version, card.issuing_office) == ("01", "1500")
    assert (card.address, card.issuer, card.ethnicity) == (None, None, None)


def test_every_field_of_a_2023_foreigner_card_with_a_split_english_name() -> None:
    english = "VAN DER BERG-OKONKWO, CHRISTINA ALEXANDRA MAR"  # 46 characters
    block = lay(
        (0, "贝格"),
        (30, "2"),
        (32, "01"),
        (36, "19700101"),
        (52, english[:35]),
        (122, Y_NUMBER),
        (188, "20240101"),
        (204, "20340101"),
        (220, english[35:]),
        (242, "NLD"),
        (248, "Y"),
        (250, "1"),
    )
    card = parse_text_block(block)
    assert card.card_type is CardType.FOREIGN_PERMANENT_2023
    assert (card.name, card.name_en, card.gender) == ("贝格", english, Gender.FEMALE)
    assert (card.renewal_count, card.birth_date) == (1, dt.date(1970, 1, 1))
    assert (card.id_number, card.nationality, card.previous_card_link) == (Y_NUMBER, "NLD", "1")
    assert (card.valid_from, card.valid_until) == (dt.date(2024, 1, 1), dt.date(2034, 1, 1))


def test_a_space_at_the_split_of_a_2023_english_name_is_kept() -> None:
    english = "A" * 34 + " " + "BCDEFG"
    card = make_card(CardType.FOREIGN_PERMANENT_2023, name_en=english)
    assert parse_text_block(encode_text_block(card)).name_en == english


def test_foreign_cards_may_have_no_chinese_name_or_renewal_count() -> None:
    for card_type in (CardType.FOREIGN_PERMANENT, CardType.FOREIGN_PERMANENT_2023):
        card = make_card(card_type, name="", renewal_count=None)
        assert parse_text_block(encode_text_block(card)).name == ""


@pytest.mark.parametrize(("code", "gender"), [("0", Gender.UNKNOWN), ("9", Gender.UNSPECIFIED)])
def test_unknown_and_unspecified_gender_skip_the_digit_check(code: str, gender: Gender) -> None:
    block = patch(encode_text_block(make_card()), 30, u16(code))
    assert parse_text_block(block).gender is gender


def test_trailing_nul_padding_is_trimmed_like_spaces() -> None:
    block = encode_text_block(make_card(name="张三"))
    block = patch(block, 4, b"\x00" * 26)
    assert parse_text_block(block).name == "张三"


def test_names_outside_the_basic_plane_use_surrogate_pairs() -> None:
    card = make_card(name="𠀾张𪚥")
    block = encode_text_block(card)
    assert block[:4] == "𠀾".encode("utf-16-le")
    assert parse_text_block(block).name == "𠀾张𪚥"


def test_a_broken_surrogate_beside_a_valid_pair_names_its_own_field() -> None:
    block = encode_text_block(make_card(name="𠀾明"))
    bad = patch(block, 52, "\udc00".encode("utf-16-le", "surrogatepass"))
    with pytest.raises(CardEncodingError, match="address at byte 52: not UTF-16LE") as caught:
        parse_text_block(bad)
    assert caught.value.data == bad[52:122]


def test_a_2023_card_with_a_rare_chinese_name_keeps_its_split_english_name() -> None:
    english = "OKONKWO-VAN DER BERG, CHRISTINA ALEXANDRA"
    card = make_card(CardType.FOREIGN_PERMANENT_2023, name="𪚥娜", name_en=english)
    parsed = parse_text_block(encode_text_block(card))
    assert (parsed.name, parsed.name_en) == ("𪚥娜", english)


RESIDENT = encode_text_block(make_card())
HKMT = encode_text_block(make_card(CardType.HKMT_RESIDENCE))
FOREIGN = encode_text_block(make_card(CardType.FOREIGN_PERMANENT))
Y_CARD = encode_text_block(make_card(CardType.FOREIGN_PERMANENT_2023))

ERRORS = [
    (RESIDENT, 0, " " * 15, CardMissingFieldError, "name", "is blank"),
    (RESIDENT, 0, "\ud800", CardEncodingError, "name", "broken surrogate pair"),
    (RESIDENT, 2, "\x07", CardEncodingError, "name", "control character"),
    (RESIDENT, 30, "3", CardCodeError, "gender", "expected gender code 0, 1, 2 or 9"),
    (RESIDENT, 32, "57", CardCodeError, "ethnicity", "GB 3304"),
    (RESIDENT, 32, "  ", CardCodeError, "ethnicity", "GB 3304"),
    (RESIDENT, 36, "1950O307", CardDateError, "birth_date", "expected YYYYMMDD digits"),
    (RESIDENT, 36, "19500230", CardDateError, "birth_date", "19500230 is not a real calendar"),
    (RESIDENT, 36, "20170101", CardDateError, "birth_date", "is after valid_from"),
    (RESIDENT, 52, " " * 35, CardMissingFieldError, "address", "is blank"),
    (RESIDENT, 122, "X", CardEncodingError, "id_number", "character 1 is not a digit"),
    (RESIDENT, 156, "5", CardCheckDigitError, "id_number", "check digit"),
    (RESIDENT, 122, " " * 18, CardMissingFieldError, "id_number", "is blank"),
    (RESIDENT, 122, make_id_number("810000"), CardMismatchError, "id_number", "hkmt number"),
    (
        RESIDENT,
        122,
        make_id_number(birth=dt.date(1950, 3, 8)),
        CardMismatchError,
        "id_number",
        "birth-date digits",
    ),
    (RESIDENT, 122, make_id_number(male=False), CardMismatchError, "id_number", "should be odd"),
    (RESIDENT, 158, " " * 15, CardMissingFieldError, "issuer", "is blank"),
    (RESIDENT, 188, "2016052 ", CardDateError, "valid_from", "expected YYYYMMDD digits"),
    (RESIDENT, 204, "长久", CardDateError, "valid_until", "YYYYMMDD digits or 长期"),
    (RESIDENT, 204, "20160519", CardDateError, "valid_until", "is before valid_from"),
    (RESIDENT, 248, "K", CardCodeError, "card_type", "type marker"),
    (HKMT, 220, " " * 9, CardMissingFieldError, "pass_number", "is blank"),
    (HKMT, 238, "1 ", CardEncodingError, "issue_count", "expected 2 ASCII digits"),
    (HKMT, 238, "１２", CardEncodingError, "issue_count", "expected 2 ASCII digits"),
    (HKMT, 122, make_id_number(), CardMismatchError, "id_number", "needs a hkmt number"),
    (FOREIGN, 0, " " * 60, CardMissingFieldError, "name_en", "is blank"),
    (FOREIGN, 120, "x", CardCodeError, "gender", "gender code"),
    (FOREIGN, 152, "U5A", CardCodeError, "nationality", "alpha-3"),
    (FOREIGN, 152, "usa", CardCodeError, "nationality", "alpha-3"),
    (FOREIGN, 122, "USA44581102000 ", CardLengthError, "id_number", "14 characters"),
    (FOREIGN, 220, "19581131", CardDateError, "birth_date", "not a real calendar date"),
    (Y_CARD, 32, "x1", CardEncodingError, "renewal_count", "2 ASCII digits"),
    (Y_CARD, 52, " " * 35, CardMissingFieldError, "name_en", "is blank"),
    (Y_CARD, 242, "D1U", CardCodeError, "nationality", "alpha-3"),
    (Y_CARD, 122, make_id_number(male=False), CardMismatchError, "id_number", "foreigner_2023"),
]


@pytest.mark.parametrize(
    ("block", "offset", "text", "error", "field", "message"),
    ERRORS,
    ids=[f"{row[4]}@{row[1]}:{row[5]}" for row in ERRORS],
)
def test_each_malformed_field_raises_its_error_naming_field_offset_and_bytes(
    block: bytes, offset: int, text: str, error: type[CardDataError], field: str, message: str
) -> None:
    bad = patch(block, offset, text.encode("utf-16-le", "surrogatepass"))
    with pytest.raises(error, match=message) as caught:
        parse_text_block(bad)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field} at byte ")
    assert caught.value.offset is not None and caught.value.offset <= offset
    if field == "id_number":
        assert "bytes" not in str(caught.value) and caught.value.data is None
        assert make_card().id_number not in str(caught.value)
    else:
        assert caught.value.data is not None
        assert caught.value.data[:16].hex(" ") in str(caught.value)


@pytest.mark.parametrize("size", [0, 255, 257, 1284])
def test_a_block_of_any_other_size_is_a_length_error(size: int) -> None:
    with pytest.raises(CardLengthError, match=f"text_block: {size} bytes, expected 256"):
        parse_text_block(bytes(size))


def test_encoding_a_field_too_long_names_the_field() -> None:
    with pytest.raises(CardLengthError, match="name at byte 0: 32 bytes of text do not fit in 30"):
        encode_text_block(make_card(name="张" * 16))
    with pytest.raises(CardLengthError, match="name_en: at most 46 characters"):
        encode_text_block(make_card(CardType.FOREIGN_PERMANENT_2023, name_en="A" * 47))
    with pytest.raises(CardLengthError, match="issue_count: 100 does not fit"):
        encode_text_block(make_card(CardType.HKMT_RESIDENCE, issue_count=100))


HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
LATIN = st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ ,-'")
DATES = st.dates(dt.date(1900, 1, 1), dt.date(2010, 12, 31))


def _plain(text: str) -> str:
    return text.strip() or "A"


@st.composite
def cards(draw: st.DrawFn) -> IdCard:
    card_type = draw(st.sampled_from(list(CardType)))
    birth = draw(DATES)
    valid_from = birth + dt.timedelta(days=draw(st.integers(0, 30000)))
    long_term = card_type is CardType.RESIDENT and draw(st.booleans())
    valid_until = None if long_term else valid_from + dt.timedelta(draw(st.integers(0, 9000)))
    changes: dict[str, object] = {
        "name": draw(st.text(HAN, min_size=1, max_size=15)),
        "gender": draw(st.sampled_from(list(Gender))),
        "birth_date": birth,
        "valid_from": valid_from,
        "valid_until": valid_until,
    }
    if card_type in (CardType.RESIDENT, CardType.HKMT_RESIDENCE):
        changes["address"] = draw(
            st.text(HAN | st.sampled_from("0123456789号"), min_size=1, max_size=35)
        )
        changes["issuer"] = draw(st.text(HAN, min_size=1, max_size=15))
    if card_type is CardType.RESIDENT:
        code = draw(st.sampled_from(sorted(ETHNICITIES)))
        changes |= {"ethnicity_code": code, "ethnicity": ETHNICITIES[code]}
    elif card_type is CardType.HKMT_RESIDENCE:
        changes["issue_count"] = draw(st.integers(0, 99))
        changes["pass_number"] = draw(st.from_regex(r"[HM][0-9]{8}", fullmatch=True))
    else:
        size = 60 if card_type is CardType.FOREIGN_PERMANENT else 46
        changes["name_en"] = _plain(draw(st.text(LATIN, min_size=1, max_size=size)))
        changes["nationality"] = draw(st.sampled_from(["USA", "DEU", "GBR", "FRA", "JPN"]))
    card = make_card(card_type, **changes)
    male = card.gender is not Gender.FEMALE
    if card_type is not CardType.FOREIGN_PERMANENT and card.gender is Gender.UNKNOWN:
        seq = draw(st.integers(0, 998))
        region = card.id_number[:6]
        card = dataclasses.replace(card, id_number=make_id_number(region, birth, seq, male))
    return card


@settings(max_examples=300)
@given(cards())
def test_encode_then_parse_gives_back_the_card(card: IdCard) -> None:
    block = encode_text_block(card)
    assert len(block) == 256
    parsed = parse_text_block(block)
    assert dataclasses.replace(parsed, raw=b"", photo=card.photo) == card
    assert encode_text_block(parsed) == block


@settings(max_examples=300)
@given(
    st.binary(min_size=248, max_size=248),
    st.sampled_from([b" \x00", b"I\x00", b"J\x00", b"Y\x00", b"\x00\x00"]),
    st.binary(min_size=6, max_size=6),
)
def test_arbitrary_blocks_raise_only_card_data_errors(
    head: bytes, marker: bytes, tail: bytes
) -> None:
    with contextlib.suppress(CardDataError):
        parse_text_block(head + marker + tail)


@settings(max_examples=500)
@given(
    st.sampled_from([RESIDENT, HKMT, FOREIGN, Y_CARD]),
    st.lists(st.tuples(st.integers(0, 255), st.integers(0, 255)), min_size=1, max_size=4),
)
def test_corrupted_valid_blocks_parse_or_raise_card_data_errors(
    block: bytes, changes: list[tuple[int, int]]
) -> None:
    data = bytearray(block)
    for offset, value in changes:
        data[offset] = value
    try:
        card = parse_text_block(bytes(data))
    except CardDataError as error:
        assert error.field and str(error)
    else:
        assert card.card_type in CardType
