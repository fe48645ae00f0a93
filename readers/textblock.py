"""The 256-byte text block of a card: strict parsing into ``IdCard`` and the exact inverse.

Every character is UTF-16LE (two bytes; rare names may use a surrogate pair), fields are padded
on the right with spaces (0x20 0x00; trailing NULs are trimmed too) and dates are ``YYYYMMDD``.
The character at byte 248 tells the card type. Offsets and sizes in bytes::

    resident (' ')             HK/Macao/Taiwan permit ('J')  foreigner 2017 ('I')
      0  30 name                 0  30 name                     0 120 English name
     30   2 gender code         30   2 gender code            120   2 gender code
     32   4 ethnicity (GB 3304) 32   4 reserved               122  30 card number (15 chars)
     36  16 birth date          36  16 birth date             152   6 nationality (alpha-3)
     52  70 address             52  70 address                158  30 Chinese name (may be blank)
    122  36 ID number           122  36 ID number             188  16 valid from
    158  30 issuer              158  30 issuer                204  16 valid until
    188  16 valid from          188  16 valid from            220  16 birth date
    204  16 valid until|长期    204  16 valid until|长期      236   4 card version
    220  28 reserved            220  18 pass number           240   8 issuing office code
    248   2 type marker ' '     238   4 issue count (digits)  248   2 type marker 'I'
    250   6 reserved            242   6 reserved              250   6 reserved
                                248   2 type marker 'J'
                                250   6 reserved

    foreigner 2023 ('Y'; from one open-source reader, unconfirmed by an official source)
      0  30 Chinese name (may be blank)   188  16 valid from
     30   2 gender code                   204  16 valid until|长期
     32   4 renewal count (digits|blank)  220  22 English name, characters 36–46
     36  16 birth date                    242   6 nationality (alpha-3)
     52  70 English name, characters 1–35 248   2 type marker 'Y'
    122  36 ID number (starts with 9)     250   6 previous card number link
    158  30 reserved

Gender codes (GB/T 2261.1): 0 未知, 1 男, 2 女, 9 未说明. Valid until ``长期`` (``7F 95 1F 67``)
means no end date (``None``). Reserved bytes are not checked: later card versions use them.
Checks across fields: the ID number's kind fits the card type, its birth-date digits and gender
digit agree with the birth date and gender fields, and birth ≤ valid from ≤ valid until.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from readers.card import CardType, Gender, IdCard
from readers.errors import (
    CardCodeError,
    CardDataError,
    CardDateError,
    CardEncodingError,
    CardLengthError,
    CardMismatchError,
    CardMissingFieldError,
)
from readers.ethnicity import ETHNICITIES, ethnicity_code
from readers.idnumber import IdNumberKind, check_gender_digit, kind_of, validate_id_number

BLOCK_SIZE = 256
LONG_TERM = "长期"
NAME_EN_2023_CHARS = 46
PAD = " \x00"
GENDER_CODES = {"0": Gender.UNKNOWN, "1": Gender.MALE, "2": Gender.FEMALE, "9": Gender.UNSPECIFIED}
GENDER_BY_VALUE = {gender: code for code, gender in GENDER_CODES.items()}
MARKERS = {
    b" \x00": CardType.RESIDENT,
    b"I\x00": CardType.FOREIGN_PERMANENT,
    b"J\x00": CardType.HKMT_RESIDENCE,
    b"Y\x00": CardType.FOREIGN_PERMANENT_2023,
}
MARKER_OF = {card_type: marker for marker, card_type in MARKERS.items()}
NUMBER_KINDS = {
    CardType.RESIDENT: IdNumberKind.RESIDENT,
    CardType.HKMT_RESIDENCE: IdNumberKind.HKMT,
    CardType.FOREIGN_PERMANENT: IdNumberKind.FOREIGNER_2017,
    CardType.FOREIGN_PERMANENT_2023: IdNumberKind.FOREIGNER_2023,
}
_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_BLANK = b" \x00" * (BLOCK_SIZE // 2)


@dataclasses.dataclass(frozen=True, slots=True)
class Field:
    """Where one field sits in the block."""

    name: str
    offset: int
    size: int

    @property
    def end(self) -> int:
        return self.offset + self.size


def _layout(*fields: tuple[str, int, int]) -> dict[str, Field]:
    return {name: Field(name, offset, size) for name, offset, size in fields}


MARKER = Field("card_type", 248, 2)
_SHARED = (("birth_date", 36, 16), ("valid_from", 188, 16), ("valid_until", 204, 16))
_CHINESE = (("name", 0, 30), ("gender", 30, 2), ("address", 52, 70), ("id_number", 122, 36))
LAYOUTS: dict[CardType, dict[str, Field]] = {
    CardType.RESIDENT: _layout(*_CHINESE, *_SHARED, ("ethnicity", 32, 4), ("issuer", 158, 30)),
    CardType.HKMT_RESIDENCE: _layout(
        *_CHINESE, *_SHARED, ("issuer", 158, 30), ("pass_number", 220, 18), ("issue_count", 238, 4)
    ),
    CardType.FOREIGN_PERMANENT: _layout(
        ("name_en", 0, 120),
        ("gender", 120, 2),
        ("id_number", 122, 30),
        ("nationality", 152, 6),
        ("name", 158, 30),
        ("valid_from", 188, 16),
        ("valid_until", 204, 16),
        ("birth_date", 220, 16),
        ("card_version", 236, 4),
        ("issuing_office", 240, 8),
    ),
    CardType.FOREIGN_PERMANENT_2023: _layout(
        *_SHARED,
        ("name", 0, 30),
        ("gender", 30, 2),
        ("renewal_count", 32, 4),
        ("name_en", 52, 70),
        ("name_en_tail", 220, 22),
        ("id_number", 122, 36),
        ("nationality", 242, 6),
        ("previous_card_link", 250, 6),
    ),
}


class _Block:
    """The block decoded once; fields are slices of it (bytes when surrogate pairs appear)."""

    __slots__ = ("chars", "data", "plain")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.chars = data.decode("utf-16-le", "surrogatepass")
        self.plain = len(self.chars) * 2 == len(data) and _SURROGATE.search(self.chars) is None

    def error(self, kind: type[CardDataError], field: Field, message: str) -> CardDataError:
        data = self.data[field.offset : field.end]
        return kind(field.name, message, offset=field.offset, data=data)

    def raw(self, field: Field) -> str:
        if self.plain:
            return self.chars[field.offset // 2 : field.end // 2]
        return self.decode(field, self.data[field.offset : field.end])

    def decode(self, field: Field, data: bytes) -> str:
        try:
            return data.decode("utf-16-le")
        except UnicodeDecodeError:
            message = "not UTF-16LE text (broken surrogate pair)"
            raise self.error(CardEncodingError, field, message) from None

    def text(self, field: Field, value: str | None = None) -> str:
        """The field's text without padding; ``value`` replaces the slice (split fields)."""
        text = (self.raw(field) if value is None else value).rstrip(PAD)
        if _CONTROL.search(text):
            raise self.error(CardEncodingError, field, "holds a control character")
        return text

    def required(self, field: Field, value: str | None = None) -> str:
        text = self.text(field, value)
        if not text:
            raise self.error(CardMissingFieldError, field, "is blank, expected text")
        return text

    def optional(self, field: Field) -> str | None:
        return self.text(field) or None

    def digits(self, field: Field, *, required: bool = True) -> str | None:
        text = self.raw(field).rstrip(PAD)
        if not text and not required:
            return None
        if len(text) != field.size // 2 or not (text.isascii() and text.isdigit()):
            raise self.error(CardEncodingError, field, f"expected {field.size // 2} ASCII digits")
        return text

    def end_date(self, field: Field) -> dt.date | None:
        text = self.raw(field).rstrip(PAD)
        return None if text == LONG_TERM else self.date(field, "YYYYMMDD digits or 长期")

    def date(self, field: Field, expected: str = "YYYYMMDD digits") -> dt.date:
        text = self.raw(field).rstrip(PAD)
        if len(text) != 8 or not (text.isascii() and text.isdigit()):
            raise self.error(CardDateError, field, f"expected {expected}")
        try:
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            raise self.error(CardDateError, field, f"{text} is not a real calendar date") from None

    def gender(self, field: Field) -> Gender:
        gender = GENDER_CODES.get(self.raw(field))
        if gender is None:
            raise self.error(CardCodeError, field, "expected gender code 0, 1, 2 or 9")
        return gender

    def nationality(self, field: Field) -> str:
        text = self.raw(field)
        if not (text.isascii() and text.isalpha() and text.isupper()):
            raise self.error(CardCodeError, field, "expected an ISO 3166 alpha-3 country code")
        return text


def _common(block: _Block, layout: dict[str, Field]) -> dict[str, Any]:
    birth = block.date(layout["birth_date"])
    valid_from = block.date(layout["valid_from"])
    valid_until = block.end_date(layout["valid_until"])
    if birth > valid_from:
        raise block.error(CardDateError, layout["birth_date"], "is after valid_from")
    if valid_until is not None and valid_until < valid_from:
        raise block.error(CardDateError, layout["valid_until"], "is before valid_from")
    return {
        "gender": block.gender(layout["gender"]),
        "birth_date": birth,
        "valid_from": valid_from,
        "valid_until": valid_until,
    }


def _id_number(
    block: _Block, layout: dict[str, Field], card_type: CardType, fields: dict[str, Any]
) -> str:
    """The validated number, which must fit the card type, birth date and gender."""
    field = layout["id_number"]
    number = validate_id_number(block.required(field), offset=field.offset)
    expected = NUMBER_KINDS[card_type]
    if kind_of(number) is not expected:
        raise CardMismatchError(
            field.name,
            f"a {card_type.value} card needs a {expected.value} number, "
            f"found a {kind_of(number).value} number",
            offset=field.offset,
        )
    birth: dt.date = fields["birth_date"]
    if len(number) == 18 and (int(number[6:10]), int(number[10:12]), int(number[12:14])) != (
        birth.year,
        birth.month,
        birth.day,
    ):
        raise CardMismatchError(
            field.name, "birth-date digits 7–14 do not match birth_date", offset=field.offset
        )
    check_gender_digit(number, fields["gender"], offset=field.offset)
    return number


def _parse_resident(block: _Block) -> dict[str, Any]:
    layout = LAYOUTS[CardType.RESIDENT]
    fields = _common(block, layout)
    code = block.raw(layout["ethnicity"])
    name = ETHNICITIES.get(code)
    if name is None:
        raise block.error(CardCodeError, layout["ethnicity"], "expected a GB 3304 ethnicity code")
    return fields | {
        "name": block.required(layout["name"]),
        "ethnicity_code": code,
        "ethnicity": name,
        "address": block.required(layout["address"]),
        "issuer": block.required(layout["issuer"]),
        "id_number": _id_number(block, layout, CardType.RESIDENT, fields),
    }


def _parse_hkmt(block: _Block) -> dict[str, Any]:
    layout = LAYOUTS[CardType.HKMT_RESIDENCE]
    fields = _common(block, layout)
    count = block.digits(layout["issue_count"])
    return fields | {
        "name": block.required(layout["name"]),
        "address": block.required(layout["address"]),
        "issuer": block.required(layout["issuer"]),
        "pass_number": block.required(layout["pass_number"]),
        "issue_count": int(count) if count is not None else None,
        "id_number": _id_number(block, layout, CardType.HKMT_RESIDENCE, fields),
    }


def _parse_foreign_2017(block: _Block) -> dict[str, Any]:
    layout = LAYOUTS[CardType.FOREIGN_PERMANENT]
    fields = _common(block, layout)
    return fields | {
        "name": block.text(layout["name"]),
        "name_en": block.required(layout["name_en"]),
        "nationality": block.nationality(layout["nationality"]),
        "card_version": block.optional(layout["card_version"]),
        "issuing_office": block.optional(layout["issuing_office"]),
        "id_number": _id_number(block, layout, CardType.FOREIGN_PERMANENT, fields),
    }


def _parse_foreign_2023(block: _Block) -> dict[str, Any]:
    layout = LAYOUTS[CardType.FOREIGN_PERMANENT_2023]
    fields = _common(block, layout)
    head, tail = layout["name_en"], layout["name_en_tail"]
    if block.plain:
        english = block.raw(head) + block.raw(tail)
    else:
        joined = block.data[head.offset : head.end] + block.data[tail.offset : tail.end]
        english = block.decode(head, joined)
    count = block.digits(layout["renewal_count"], required=False)
    return fields | {
        "name": block.text(layout["name"]),
        "name_en": block.required(head, english),
        "renewal_count": int(count) if count is not None else None,
        "nationality": block.nationality(layout["nationality"]),
        "previous_card_link": block.optional(layout["previous_card_link"]),
        "id_number": _id_number(block, layout, CardType.FOREIGN_PERMANENT_2023, fields),
    }


_PARSERS: dict[CardType, Callable[[_Block], dict[str, Any]]] = {
    CardType.RESIDENT: _parse_resident,
    CardType.HKMT_RESIDENCE: _parse_hkmt,
    CardType.FOREIGN_PERMANENT: _parse_foreign_2017,
    CardType.FOREIGN_PERMANENT_2023: _parse_foreign_2023,
}


def parse_text_block(block: bytes) -> IdCard:
    """The card a 256-byte text block describes; any malformed field raises ``CardDataError``."""
    return IdCard(**text_block_fields(block), raw=bytes(block))


def text_block_fields(block: bytes) -> dict[str, Any]:
    """The ``IdCard`` fields of a block, for callers that add photo and fingerprints."""
    data = bytes(block)
    if len(data) != BLOCK_SIZE:
        raise CardLengthError(
            "text_block", f"{len(data)} bytes, expected {BLOCK_SIZE}", data=data[:16]
        )
    card_type = MARKERS.get(data[MARKER.offset : MARKER.end])
    if card_type is None:
        raise CardCodeError(
            MARKER.name,
            "type marker is not ' ', 'I', 'J' or 'Y'",
            offset=MARKER.offset,
            data=data[MARKER.offset : MARKER.end],
        )
    return _PARSERS[card_type](_Block(data)) | {"card_type": card_type}


def encode_text_block(card: IdCard) -> bytes:
    """The 256-byte block ``parse_text_block`` reads back as ``card`` (simulator, tests).

    Lays out what the card holds without judging it, so tests can encode deliberately bad cards;
    only a value that does not fit its field raises ``CardLengthError``.
    """
    out = bytearray(_BLANK)
    layout = LAYOUTS[card.card_type]
    for name, value in _values(card).items():
        if value is not None:
            _put(out, layout[name], value)
    out[MARKER.offset : MARKER.end] = MARKER_OF[card.card_type]
    return bytes(out)


def _values(card: IdCard) -> dict[str, str | None]:
    values: dict[str, str | None] = {
        "name": card.name,
        "gender": GENDER_BY_VALUE[card.gender],
        "birth_date": f"{card.birth_date:%Y%m%d}",
        "valid_from": f"{card.valid_from:%Y%m%d}",
        "valid_until": LONG_TERM if card.valid_until is None else f"{card.valid_until:%Y%m%d}",
        "id_number": card.id_number,
    }
    if card.card_type is CardType.RESIDENT:
        code = card.ethnicity_code or (ethnicity_code(card.ethnicity) if card.ethnicity else None)
        values |= {"ethnicity": code, "address": card.address, "issuer": card.issuer}
    elif card.card_type is CardType.HKMT_RESIDENCE:
        values |= {
            "address": card.address,
            "issuer": card.issuer,
            "pass_number": card.pass_number,
            "issue_count": _count(card.issue_count, "issue_count"),
        }
    elif card.card_type is CardType.FOREIGN_PERMANENT:
        values |= {
            "name_en": card.name_en,
            "nationality": card.nationality,
            "card_version": card.card_version,
            "issuing_office": card.issuing_office,
        }
    else:
        english = (card.name_en or "").ljust(NAME_EN_2023_CHARS)
        if len(english) > NAME_EN_2023_CHARS:
            raise CardLengthError("name_en", f"at most {NAME_EN_2023_CHARS} characters fit")
        values |= {
            "name_en": english[:35],
            "name_en_tail": english[35:],
            "renewal_count": _count(card.renewal_count, "renewal_count"),
            "nationality": card.nationality,
            "previous_card_link": card.previous_card_link,
        }
    return values


def _count(value: int | None, name: str) -> str | None:
    if value is None:
        return None
    if not 0 <= value <= 99:
        raise CardLengthError(name, f"{value} does not fit in 2 digits")
    return f"{value:02d}"


def _put(out: bytearray, field: Field, value: str) -> None:
    data = value.encode("utf-16-le", "surrogatepass")
    if len(data) > field.size:
        raise CardLengthError(
            field.name,
            f"{len(data)} bytes of text do not fit in {field.size} bytes",
            offset=field.offset,
        )
    out[field.offset : field.offset + len(data)] = data
