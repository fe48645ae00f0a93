"""ID numbers: check digits, validation of every kind, the gender digit and masking."""

from __future__ import annotations

import datetime as dt

import pytest
from cardfactory import make_foreign_2017_number, make_id_number
from hypothesis import given
from hypothesis import strategies as st

from readers.card import Gender
from readers.errors import (
    CardCheckDigitError,
    CardCodeError,
    CardDataError,
    CardDateError,
    CardEncodingError,
    CardLengthError,
    CardMismatchError,
)
from readers.idnumber import (
    IdNumberKind,
    birth_date_of,
    check_digit,
    check_gender_digit,
    is_male_number,
    kind_of,
    mask_id_number,
    validate_id_number,
)

STANDARD_EXAMPLE = "11010519491231002X"  # the worked example of GB 11643-1999


def test_check_digit_of_the_standard_example_is_x() -> None:
    assert check_digit(STANDARD_EXAMPLE[:17]) == "X"


@pytest.mark.parametrize("body", ["1234", "1101051949123100A", "110105194912310021"])
def test_check_digit_refuses_anything_but_17_digits(body: str) -> None:
    with pytest.raises(CardEncodingError, match="17 digits"):
        check_digit(body)


@pytest.mark.parametrize(
    ("number", "kind"),
    [
        (make_id_number("440106"), IdNumberKind.RESIDENT),
        (make_id_number("810000"), IdNumberKind.HKMT),
        (make_id_number("820000"), IdNumberKind.HKMT),
        (make_id_number("830000"), IdNumberKind.HKMT),
        (make_id_number("911840"), IdNumberKind.FOREIGNER_2023),
        (make_foreign_2017_number("USA"), IdNumberKind.FOREIGNER_2017),
    ],
)
def test_every_kind_of_number_validates_and_is_told_apart(number: str, kind: IdNumberKind) -> None:
    assert validate_id_number(number) == number
    assert kind_of(number) is kind


def test_lower_case_letters_are_normalised() -> None:
    assert validate_id_number(STANDARD_EXAMPLE.lower()) == STANDARD_EXAMPLE
    assert validate_id_number("usa445811020001") == "USA445811020001"


BAD_NUMBERS = [
    ("1101051949123100", CardLengthError, "16 characters, expected 18"),
    ("11010519491231002X1", CardLengthError, "19 characters"),
    ("1101051949A231002X", CardEncodingError, "character 11 is not a digit"),
    ("11010519491231002Y", CardEncodingError, "character 18 must be a digit or X"),
    ("110105194912310021", CardCheckDigitError, "check digit does not match"),
    ("990105194912310021", CardCodeError, "region code names no province"),
    ("890105194912310021", CardCodeError, "region code names no province"),
    ("110105194902300021", CardDateError, "not a real birth date"),
    ("US1445811020001", CardEncodingError, "3 Latin letters"),
    ("USA44581102000A", CardEncodingError, "12 digits"),
]


@pytest.mark.parametrize(("number", "error", "message"), BAD_NUMBERS)
def test_bad_numbers_say_what_is_wrong_without_showing_the_number(
    number: str, error: type[CardDataError], message: str
) -> None:
    with pytest.raises(error, match=message) as caught:
        validate_id_number(number, offset=122)
    assert caught.value.field == "id_number"
    assert caught.value.offset == 122
    assert number not in str(caught.value)
    assert number[:14] not in str(caught.value)


@given(
    birth=st.dates(dt.date(1900, 1, 1), dt.date(2025, 12, 31)),
    seq=st.integers(0, 998),
    male=st.booleans(),
    position=st.integers(0, 16),
    delta=st.integers(1, 9),
)
def test_any_single_digit_change_is_caught(
    birth: dt.date, seq: int, male: bool, position: int, delta: int
) -> None:
    number = make_id_number("440106", birth, seq, male)
    assert validate_id_number(number) == number
    assert is_male_number(number) is male
    assert birth_date_of(number) == birth
    changed = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1 :]
    with pytest.raises(CardDataError):
        validate_id_number(changed)


def test_the_2017_number_carries_no_birth_date_or_gender() -> None:
    number = make_foreign_2017_number()
    assert birth_date_of(number) is None
    assert is_male_number(number) is None
    check_gender_digit(number, Gender.FEMALE)


def test_gender_digit_must_agree_with_the_gender_field() -> None:
    man = make_id_number(male=True)
    check_gender_digit(man, Gender.MALE)
    check_gender_digit(man, Gender.UNKNOWN)
    check_gender_digit(man, Gender.UNSPECIFIED)
    with pytest.raises(CardMismatchError, match="17th digit should be even for gender 女") as e:
        check_gender_digit(man, Gender.FEMALE, offset=122)
    assert man not in str(e.value) and e.value.offset == 122
    with pytest.raises(CardMismatchError, match="should be odd"):
        check_gender_digit(make_id_number(male=False), Gender.MALE)


def test_masking_shows_first_and_last_four() -> None:
    assert mask_id_number("44010619500307123X") == "4401**********123X"
    assert mask_id_number("USA445811020001") == "USA4*******0001"
    assert mask_id_number("12345678") == "********"
