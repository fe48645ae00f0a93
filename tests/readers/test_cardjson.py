"""The JSON contract of ``yzt card decode/read`` and the virtual card files of ``sim://``."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from cardfactory import PHOTO, make_card
from hypothesis import given, settings
from hypothesis import strategies as st

from readers.card import CardType, Gender
from readers.cardjson import (
    FILE_KEYS,
    MAX_FILE_BYTES,
    card_from_file_bytes,
    card_from_json,
    card_to_file_json,
    card_to_json,
    read_card_file,
)
from readers.errors import (
    CardCheckDigitError,
    CardCodeError,
    CardDataError,
    CardDateError,
    CardEncodingError,
    CardLengthError,
    CardMissingFieldError,
)

CONTRACT_KEYS = [
    "card_type",
    "name",
    "name_en",
    "gender",
    "ethnicity",
    "nationality",
    "birth_date",
    "valid_from",
    "valid_until",
    "address",
    "id_number",
    "issuer",
    "pass_number",
    "issue_count",
    "has_photo",
    "fingerprints",
]


@pytest.mark.parametrize("card_type", list(CardType))
def test_output_has_exactly_the_contract_keys(card_type: CardType) -> None:
    assert list(card_to_json(make_card(card_type))) == CONTRACT_KEYS


def test_a_resident_card_as_json() -> None:
    card = make_card(fingerprints=(bytes(512), bytes(512)))
    assert card_to_json(card) == {
        "card_type": "resident",
        "name": "张三",
        "name_en": None,
        "gender": "男",
        "ethnicity": "汉",
        "nationality": None,
        "birth_date": "1950-03-07",
        "valid_from": "2016-05-20",
        "valid_until": None,
        "address": "广东省广州市天河区体育西路123号",
        "id_number": card.id_number[:4] + "*" * 10 + card.id_number[-4:],
        "issuer": "广州市公安局天河分局",
        "pass_number": None,
        "issue_count": None,
        "has_photo": True,
        "fingerprints": 2,
    }
    assert card_to_json(card, reveal=True)["id_number"] == card.id_number


def test_foreign_and_permit_cards_fill_their_own_keys() -> None:
    hkmt = card_to_json(make_card(CardType.HKMT_RESIDENCE))
    assert (hkmt["pass_number"], hkmt["issue_count"], hkmt["ethnicity"]) == ("H60123456", 1, None)
    assert hkmt["valid_until"] == "2029-03-01"
    old = card_to_json(make_card(CardType.FOREIGN_PERMANENT, photo=None))
    assert (old["name_en"], old["nationality"], old["has_photo"]) == ("SMITH, JOHN", "USA", False)
    new = card_to_json(make_card(CardType.FOREIGN_PERMANENT_2023))
    assert (new["card_type"], new["gender"], new["nationality"]) == (
        "foreign_permanent_2023",
        "女",
        "DEU",
    )


@pytest.mark.parametrize("card_type", list(CardType))
def test_card_files_round_trip_every_field(card_type: CardType) -> None:
    card = make_card(
        card_type,
        fingerprints=(bytes(range(256)) * 2,),
        card_uid="0123456789abcdef",
        appended_address="北京市海淀区中关村大街1号",
    )
    text = json.dumps(card_to_file_json(card), ensure_ascii=False)
    assert card_from_json(json.loads(text)) == card


def test_a_minimal_hand_written_file_is_enough() -> None:
    card = card_from_json(
        {
            "card_type": "resident",
            "name": "李四",
            "gender": "女",
            "ethnicity": "回族",
            "birth_date": "1940-01-02",
            "id_number": make_card(gender=Gender.FEMALE, birth_date=dt.date(1940, 1, 2)).id_number,
            "valid_from": "2010-01-01",
            "valid_until": None,
            "address": "宁夏银川市兴庆区解放西街1号",
            "issuer": "银川市公安局兴庆分局",
        }
    )
    assert (card.ethnicity_code, card.ethnicity, card.photo) == ("03", "回", None)
    assert card.valid_until is None and card.fingerprints == ()


def _file(**changes: Any) -> dict[str, Any]:
    obj = card_to_file_json(make_card())
    obj.update(changes)
    return {key: value for key, value in obj.items() if value is not ...}


BAD_FILES = [
    (_file(color="red"), CardCodeError, "color", "unknown key"),
    (_file(name=...), CardMissingFieldError, "name", "missing"),
    (_file(valid_until=...), CardMissingFieldError, "valid_until", "missing"),
    (_file(card_type="passport"), CardCodeError, "card_type", "resident | foreign_permanent"),
    (_file(gender="M"), CardCodeError, "gender", "未知 | 男 | 女 | 未说明"),
    (_file(name=""), CardEncodingError, "name", "non-empty string"),
    (_file(name=5), CardEncodingError, "name", "non-empty string"),
    (_file(name="张" * 16), CardLengthError, "name", "32 bytes of text do not fit in 30"),
    (_file(birth_date="07/03/1950"), CardDateError, "birth_date", "ISO date"),
    (_file(valid_from=20160520), CardDateError, "valid_from", "ISO date"),
    (_file(valid_from="1949-01-01"), CardDateError, "birth_date", "after valid_from"),
    (_file(ethnicity="火星"), CardCodeError, "ethnicity", "GB 3304"),
    (_file(ethnicity=None), CardEncodingError, "ethnicity", "non-empty string"),
    (_file(renewal_count=True), CardEncodingError, "renewal_count", "integer from 0 to 99"),
    (_file(renewal_count=100), CardEncodingError, "renewal_count", "integer from 0 to 99"),
    (_file(photo_wlt="xyz"), CardEncodingError, "photo_wlt", "hex digits"),
    (_file(photo_wlt="00" * 10), CardLengthError, "photo_wlt", "10 bytes, expected 1024"),
    (_file(fingerprints=3), CardEncodingError, "fingerprints", "list of up to two"),
    (_file(fingerprints=["00"] * 3), CardEncodingError, "fingerprints", "list of up to two"),
    (_file(fingerprints=["00"]), CardLengthError, "fingerprints", "expected 512"),
    (_file(has_photo="yes"), CardEncodingError, "has_photo", "true or false"),
    (_file(appended_address="路" * 36), CardLengthError, "appended_address", "do not fit"),
    (_file(address=""), CardEncodingError, "address", "non-empty string"),
    (_file(name_en="ZHANG SAN"), CardCodeError, "name_en", "a resident card has no such field"),
    (_file(issue_count=1), CardCodeError, "issue_count", "a resident card has no such field"),
    (_file(appended_address="\ud800"), CardEncodingError, "appended_address", "lone surrogate"),
    (_file(issuer="分局\udfff"), CardEncodingError, "issuer", "lone surrogate at character 2"),
    (_file(address="北京\x00"), CardEncodingError, "address", "control character"),
    (_file(name="张\x1b[31m三"), CardEncodingError, "name", "control character"),
    (_file(card_uid="\ud800"), CardEncodingError, "card_uid", "2 to 32 hex digits"),
    (_file(card_uid="0" * 34), CardEncodingError, "card_uid", "2 to 32 hex digits"),
    (_file(card_uid=1234), CardEncodingError, "card_uid", "2 to 32 hex digits"),
    (_file(birth_date="1950-W10-2"), CardDateError, "birth_date", "ISO date"),
    (_file(birth_date="19500307"), CardDateError, "birth_date", "ISO date"),
    (_file(renewal_count=10**5000), CardEncodingError, "renewal_count", "integer from 0 to 99"),
    (_file(renewal_count=float("nan")), CardEncodingError, "renewal_count", "integer from 0"),
    (_file(**{"\ud800": 1}), CardCodeError, "card", r"unknown key \(not a plain name\)"),
    (
        _file(**{"11010519491231002X": 1}),
        CardCodeError,
        "card",
        r"unknown key \(not a plain name\)",
    ),
]


@pytest.mark.parametrize(
    ("obj", "error", "key", "message"), BAD_FILES, ids=[row[2] for row in BAD_FILES]
)
def test_a_bad_card_file_names_the_key(
    obj: dict[str, Any], error: type[CardDataError], key: str, message: str
) -> None:
    with pytest.raises(error, match=message) as caught:
        card_from_json(obj)
    assert caught.value.field == key
    assert str(caught.value).startswith(f"{key}: ")
    assert not re.search("[0-9]{15}", str(caught.value)), "a message repeats an ID number"


def test_id_number_errors_never_echo_the_number() -> None:
    number = make_card().id_number
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    for bad, error in ((wrong, CardCheckDigitError), (number[:4] + "*" * 10 + number[-4:], None)):
        with pytest.raises(error or CardEncodingError) as caught:
            card_from_json(_file(id_number=bad))
        assert caught.value.field == "id_number"
        assert bad not in str(caught.value) and number[:10] not in str(caught.value)


@pytest.mark.parametrize("card_type", [CardType.FOREIGN_PERMANENT, CardType.FOREIGN_PERMANENT_2023])
def test_a_foreigner_file_may_leave_out_the_chinese_name(card_type: CardType) -> None:
    obj = card_to_file_json(make_card(card_type))
    assert card_from_json(obj | {"name": None}).name == ""
    assert card_from_json(obj | {"name": ""}).name == ""


def test_the_english_name_of_a_2023_card_is_named_as_one_key() -> None:
    obj = card_to_file_json(make_card(CardType.FOREIGN_PERMANENT_2023))
    with pytest.raises(CardLengthError) as caught:
        card_from_json(obj | {"name_en": "A" * 47})
    assert caught.value.field == "name_en"


@pytest.mark.parametrize("obj", [[], "card", None, 3])
def test_a_file_that_is_not_an_object(obj: object) -> None:
    with pytest.raises(CardEncodingError, match="card: expected a JSON object"):
        card_from_json(obj)


def _text(card_type: CardType = CardType.HKMT_RESIDENCE) -> str:
    return json.dumps(card_to_file_json(make_card(card_type)), ensure_ascii=False)


def test_a_card_file_is_read_from_its_bytes(tmp_path: Path) -> None:
    card = make_card(CardType.HKMT_RESIDENCE)
    path = tmp_path / "hkmt.json"
    path.write_bytes(b"\xef\xbb\xbf" + _text().encode())  # a BOM, as Windows editors save
    assert read_card_file(path) == card_from_file_bytes(_text().encode()) == card


BAD_BYTES = [
    (_text().replace('"issue_count": 1', '"issue_count": ' + "9" * 5000), "issue_count", "0 to 99"),
    (_text().replace('"issue_count": 1', '"issue_count": 1e999'), "issue_count", "0 to 99"),
    (_text().replace('"issue_count": 1', '"issue_count": NaN'), "issue_count", "0 to 99"),
    (_text().replace('"issue_count": 1', '"issue_count": -Infinity'), "issue_count", "0 to 99"),
    (
        _text().replace('"photo_wlt"', '"x": ' + "[" * 5000 + "]" * 5000 + ', "photo_wlt"'),
        "card",
        "nested too deeply",
    ),
    (_text()[:-1] + ', "issue_count": 2}', "issue_count", "appears twice"),
    (_text().replace("陈大文", "\\ud800"), "name", "lone surrogate"),
    ("[1, 2", "card", "not JSON: Expecting ',' delimiter at line 1 column 6"),
    ("", "card", "not JSON: Expecting value at line 1 column 1"),
    (" " * (MAX_FILE_BYTES + 1), "card", f"more than {MAX_FILE_BYTES} bytes"),
]


@pytest.mark.parametrize(("text", "key", "message"), BAD_BYTES)
def test_a_bad_card_file_is_one_card_data_error(text: str, key: str, message: str) -> None:
    with pytest.raises(CardDataError, match=re.escape(message)) as caught:
        card_from_file_bytes(text.encode())
    assert caught.value.field == key


def test_a_card_file_that_is_not_utf8_names_the_byte() -> None:
    data = _text().encode().replace("陈".encode(), b"\xff\xfe\xfd")
    with pytest.raises(CardEncodingError, match=r"card: not UTF-8 text \(byte \d+\)"):
        card_from_file_bytes(data)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


@settings(max_examples=300)
@given(st.dictionaries(st.sampled_from(sorted(FILE_KEYS)), JSON))
def test_arbitrary_json_raises_only_card_data_errors(changes: dict[str, Any]) -> None:
    with contextlib.suppress(CardDataError):
        card_from_json(card_to_file_json(make_card()) | changes)


def test_the_factory_photo_survives_a_file() -> None:
    assert card_from_json(card_to_file_json(make_card())).photo == PHOTO
