"""ID numbers: the GB 11643 check digit, validation, the gender digit and masking.

Four kinds of number appear on the cards this package reads::

    kind                 length  layout
    resident             18      RRRRRR YYYYMMDD SSS C   R region (province 11–65), S sequence
    hkmt                 18      8x0000 YYYYMMDD SSS C   81 Hong Kong, 82 Macao, 83 Taiwan
    foreigner_2023       18      9 PP NNN YYYYMMDD SSS C P province of issue, N ISO 3166 numeric
    foreigner_2017       15      AAA + 12 digits          A ISO 3166 alpha-3 nationality

C is the GB 11643 / ISO 7064 MOD 11-2 check character (0–9 or X) over the first 17 digits; the
17th digit (last of SSS) is odd for men and even for women. The 2017 foreigner number has no
published check rule, so only its format is checked. Error messages never repeat the number.
"""

from __future__ import annotations

import datetime as dt
import enum
import operator

from readers.card import Gender
from readers.errors import (
    CardCheckDigitError,
    CardCodeError,
    CardDateError,
    CardEncodingError,
    CardLengthError,
    CardMismatchError,
)

FIELD = "id_number"
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
PROVINCES = frozenset(
    {"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37"}
    | {"41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64"}
    | {"65", "71"}
)
HKMT_PREFIXES = frozenset({"81", "82", "83"})
_DIGITS = frozenset("0123456789")
_ZERO_WEIGHT = ord("0") * sum(WEIGHTS)


class IdNumberKind(enum.StrEnum):
    """Which family an ID number belongs to, told by its length and first digits."""

    RESIDENT = "resident"
    HKMT = "hkmt"
    FOREIGNER_2023 = "foreigner_2023"
    FOREIGNER_2017 = "foreigner_2017"


def check_digit(first17: str) -> str:
    """The MOD 11-2 check character for the first 17 digits of an 18-character number."""
    if len(first17) != 17 or not (first17.isascii() and first17.isdigit()):
        raise CardEncodingError(FIELD, "check digit needs exactly 17 digits")
    total = sum(map(operator.mul, first17.encode("ascii"), WEIGHTS)) - _ZERO_WEIGHT
    return CHECK_CHARS[total % 11]


def kind_of(number: str) -> IdNumberKind:
    """The family of a well-formed number (call ``validate_id_number`` first)."""
    if len(number) == 15:
        return IdNumberKind.FOREIGNER_2017
    if number[0] == "9":
        return IdNumberKind.FOREIGNER_2023
    if number[:2] in HKMT_PREFIXES:
        return IdNumberKind.HKMT
    return IdNumberKind.RESIDENT


def validate_id_number(number: str, *, offset: int | None = None) -> str:
    """Return ``number`` upper-cased if it is a well-formed ID number, else raise.

    Raises a ``CardDataError`` subclass naming ``id_number`` (and ``offset`` when the number
    came from a card block) that says what is wrong without showing the number.
    """
    normalized = number.upper()
    if len(normalized) == 15:
        _check_2017(normalized, offset)
    elif len(normalized) == 18:
        _check_18(normalized, offset)
    else:
        raise CardLengthError(
            FIELD,
            f"{len(number)} characters, expected 18 (or 15 for a 2017 foreigner card)",
            offset=offset,
        )
    return normalized


def _check_2017(number: str, offset: int | None) -> None:
    if not (number[:3].isascii() and number[:3].isalpha()):
        raise CardEncodingError(
            FIELD, "15-character number must start with 3 Latin letters", offset=offset
        )
    if not _DIGITS.issuperset(number[3:]):
        raise CardEncodingError(FIELD, "15-character number must end with 12 digits", offset=offset)


def _check_18(number: str, offset: int | None) -> None:
    body, check = number[:17], number[17]
    if not (body.isascii() and body.isdigit()):
        bad = next(i for i, ch in enumerate(body) if ch not in _DIGITS)
        raise CardEncodingError(FIELD, f"character {bad + 1} is not a digit", offset=offset)
    if check not in CHECK_CHARS:
        raise CardEncodingError(FIELD, "character 18 must be a digit or X", offset=offset)
    province = body[1:3] if body[0] == "9" else body[:2]
    if province not in PROVINCES and not (body[0] == "8" and province in HKMT_PREFIXES):
        raise CardCodeError(FIELD, "region code names no province", offset=offset)
    _birth_date(number, offset)
    if check_digit(body) != check:
        raise CardCheckDigitError(FIELD, "check digit does not match (GB 11643)", offset=offset)


def _birth_date(number: str, offset: int | None) -> dt.date:
    digits = number[6:14]
    try:
        return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        raise CardDateError(
            FIELD, "characters 7–14 are not a real birth date", offset=offset
        ) from None


def birth_date_of(number: str) -> dt.date | None:
    """The birth date an 18-character number carries; None for the 15-character number."""
    return _birth_date(number, None) if len(number) == 18 else None


def is_male_number(number: str) -> bool | None:
    """True when the 17th digit is odd (men); None when the number carries no gender."""
    return int(number[16]) % 2 == 1 if len(number) == 18 else None


def check_gender_digit(number: str, gender: Gender, *, offset: int | None = None) -> None:
    """Raise ``CardMismatchError`` when the 17th digit contradicts a male/female gender."""
    male = is_male_number(number)
    if male is None or gender not in (Gender.MALE, Gender.FEMALE):
        return
    if male != (gender is Gender.MALE):
        expected = "odd" if gender is Gender.MALE else "even"
        raise CardMismatchError(
            FIELD, f"17th digit should be {expected} for gender {gender.value}", offset=offset
        )


def mask_id_number(number: str) -> str:
    """Show the first 4 and last 4 characters only: ``4401**********123X``."""
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]
