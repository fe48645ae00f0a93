"""Cards as JSON: the output of ``yzt card decode/read`` and the virtual card files of ``sim://``.

Output keys (a stable contract, docs/cards.md): card_type, name, name_en, gender, ethnicity,
nationality, birth_date, valid_from, valid_until (null = 长期), address, id_number (masked unless
revealed), issuer, pass_number, issue_count, has_photo, fingerprints (a count). Absent → null.

A card file holds the same keys with the full ``id_number`` and ``fingerprints`` as a list of hex
templates, plus optional ``photo_wlt`` (hex), ``card_uid``, ``appended_address`` and the fields
only some cards carry (``renewal_count``, ``card_version``, ``issuing_office``,
``previous_card_link``). A file is validated exactly like card bytes — the card is encoded and
parsed back — and every error names the JSON key. The parser is total: whatever a file holds
(lone surrogates, control characters, huge numbers, deep nesting, any type where another belongs)
the only exception is a ``CardDataError``, named ``card`` when the file as a whole is unusable.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, TypeVar

from readers.card import CardType, Gender, IdCard, Photo
from readers.errors import (
    CardCodeError,
    CardDataError,
    CardDateError,
    CardEncodingError,
    CardLengthError,
    CardMissingFieldError,
)
from readers.ethnicity import ethnicity_code
from readers.idnumber import mask_id_number
from readers.record import (
    PHOTO_SIZE,
    TEMPLATE_SIZE,
    encode_appended_address,
    parse_appended_address,
)
from readers.textblock import LAYOUTS, encode_text_block, parse_text_block

REQUIRED_KEYS = ("card_type", "name", "gender", "birth_date", "id_number", "valid_from")
TEXT_KEYS = (
    "name_en",
    "nationality",
    "address",
    "issuer",
    "pass_number",
    "card_version",
    "issuing_office",
    "previous_card_link",
    "appended_address",
)
COUNT_KEYS = ("issue_count", "renewal_count")
OTHER_KEYS = ("valid_until", "ethnicity", "photo_wlt", "fingerprints", "has_photo", "card_uid")
FILE_KEYS = frozenset((*REQUIRED_KEYS, *TEXT_KEYS, *COUNT_KEYS, *OTHER_KEYS))
LAYOUT_KEYS = frozenset(
    {"ethnicity", "name_en", "nationality", "address", "issuer", "pass_number"}
    | {"issue_count", "renewal_count", "card_version", "issuing_office", "previous_card_link"}
)
FOREIGN = (CardType.FOREIGN_PERMANENT, CardType.FOREIGN_PERMANENT_2023)
E = TypeVar("E", CardType, Gender)
_FIELD_TO_KEY = {"name_en_tail": "name_en", "text_block": "card", "card_type": "card_type"}
MAX_FILE_BYTES = 64 * 1024
"""Far above any real card file (a photo and two fingerprints in hex are about 4 KB)."""
_KEY = re.compile(r"[a-z_]{1,40}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_UID = re.compile(r"(?:[0-9A-Fa-f]{2}){1,16}")
_NOT_TEXT = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def card_to_json(card: IdCard, *, reveal: bool = False) -> dict[str, Any]:
    """The ``yzt card decode/read`` object for ``card``; the ID number masked unless ``reveal``."""
    return {
        "card_type": card.card_type.value,
        "name": card.name,
        "name_en": card.name_en,
        "gender": card.gender.value,
        "ethnicity": card.ethnicity,
        "nationality": card.nationality,
        "birth_date": card.birth_date.isoformat(),
        "valid_from": card.valid_from.isoformat(),
        "valid_until": card.valid_until.isoformat() if card.valid_until else None,
        "address": card.address,
        "id_number": card.id_number if reveal else mask_id_number(card.id_number),
        "issuer": card.issuer,
        "pass_number": card.pass_number,
        "issue_count": card.issue_count,
        "has_photo": card.has_photo,
        "fingerprints": len(card.fingerprints),
    }


def card_to_file_json(card: IdCard) -> dict[str, Any]:
    """The virtual card file ``card_from_json`` reads back as ``card``."""
    shown = card_to_json(card, reveal=True)
    del shown["has_photo"]
    return shown | {
        "fingerprints": [template.hex() for template in card.fingerprints],
        "photo_wlt": card.photo.wlt.hex() if card.photo and card.photo.wlt else None,
        "card_uid": card.card_uid,
        "appended_address": card.appended_address,
        "renewal_count": card.renewal_count,
        "card_version": card.card_version,
        "issuing_office": card.issuing_office,
        "previous_card_link": card.previous_card_link,
    }


def read_card_file(path: str | os.PathLike[str]) -> IdCard:
    """The card in a virtual card file; ``OSError`` if it cannot be read, else ``CardDataError``."""
    with open(path, "rb") as file:
        return card_from_file_bytes(file.read(MAX_FILE_BYTES + 1))


def card_from_file_bytes(data: bytes) -> IdCard:
    """The card a card file's bytes (UTF-8 JSON) describe; anything else is a ``CardDataError``.

    Numbers that are not plain integers become ``Decimal`` (so ``1e999``, ``NaN`` or a
    5,000-digit integer is a wrong value of its key, not an overflow), and a key given twice is
    refused rather than silently taking the last value.
    """
    if len(data) > MAX_FILE_BYTES:
        raise CardLengthError("card", f"more than {MAX_FILE_BYTES} bytes; expected a card file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CardEncodingError("card", f"not UTF-8 text (byte {error.start})") from None
    try:
        obj = json.loads(
            text,
            parse_int=_integer,
            parse_float=Decimal,
            parse_constant=Decimal,
            object_pairs_hook=_object,
        )
    except json.JSONDecodeError as error:
        where = f"line {error.lineno} column {error.colno}"
        raise CardEncodingError("card", f"not JSON: {error.msg} at {where}") from None
    except RecursionError:
        raise CardEncodingError("card", "not a card file: JSON nested too deeply") from None
    return card_from_json(obj)


def _integer(text: str) -> int | Decimal:
    """Integers beyond any card field stay ``Decimal``: ``int()`` refuses over 4,300 digits."""
    return int(text) if len(text) <= 20 else Decimal(text)


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise CardCodeError(_key_name(key), "appears twice in one JSON object")
        obj[key] = value
    return obj


def _key_name(key: object) -> str:
    """A key as an error may name it: a plain name (lowercase letters and ``_``, like every card
    file key) as is, anything else as ``card`` — never echoed, it may hold an ID number."""
    text = str(key)
    return text if _KEY.fullmatch(text) else "card"


def card_from_json(obj: object) -> IdCard:
    """The card a virtual card file describes; a bad file raises ``CardDataError`` naming a key."""
    if not isinstance(obj, Mapping):
        raise CardEncodingError("card", f"expected a JSON object, got {type(obj).__name__}")
    unknown = next((key for key in obj if key not in FILE_KEYS), None)
    if unknown is not None:
        name = _key_name(unknown)
        plain = "" if name != "card" else " (not a plain name)"
        raise CardCodeError(name, f"unknown key{plain} in a card file")
    for key in (*REQUIRED_KEYS, "valid_until"):
        if key not in obj:
            raise CardMissingFieldError(key, "missing from the card file")
    fields = _fields(obj)
    try:
        parsed = parse_text_block(encode_text_block(IdCard(**fields)))
    except CardDataError as error:
        key = _FIELD_TO_KEY.get(error.field, error.field)
        raise type(error)(key, error.reason) from None
    return dataclasses.replace(
        parsed,
        raw=b"",
        photo=_photo(obj.get("photo_wlt")),
        fingerprints=_fingerprints(obj.get("fingerprints")),
        card_uid=_card_uid(obj.get("card_uid")),
        appended_address=_appended_address(fields["appended_address"]),
    )


def _fields(obj: Mapping[str, Any]) -> dict[str, Any]:
    card_type = _choice(obj, "card_type", CardType)
    fields: dict[str, Any] = {
        "card_type": card_type,
        "gender": _choice(obj, "gender", Gender),
        "name": _name(obj, card_type),
        "id_number": _id_number(obj),
        "birth_date": _date(obj, "birth_date"),
        "valid_from": _date(obj, "valid_from"),
        "valid_until": _date(obj, "valid_until") if obj.get("valid_until") is not None else None,
        "ethnicity": None,
        "ethnicity_code": None,
    }
    fields |= {key: _text(obj, key) for key in TEXT_KEYS}
    fields |= {key: _count(obj, key) for key in COUNT_KEYS}
    if card_type is CardType.RESIDENT:
        name = _required(obj, "ethnicity")
        fields["ethnicity_code"] = ethnicity_code(name)
        if fields["ethnicity_code"] is None:
            raise CardCodeError("ethnicity", "not a GB 3304 ethnicity name (e.g. 汉)")
    if "has_photo" in obj and not isinstance(obj["has_photo"], bool):
        raise CardEncodingError("has_photo", "expected true or false")
    for key in LAYOUT_KEYS - LAYOUTS[card_type].keys():
        if obj.get(key) is not None:
            raise CardCodeError(key, f"a {card_type.value} card has no such field")
    return fields


def _name(obj: Mapping[str, Any], card_type: CardType) -> str:
    """The Chinese name; foreigners' cards may leave it blank."""
    if card_type in FOREIGN and obj.get("name") in (None, ""):
        return ""
    return _required(obj, "name")


def _choice(obj: Mapping[str, Any], key: str, enum: type[E]) -> E:
    value = obj[key]
    try:
        return enum(value)
    except ValueError:
        choices = " | ".join(member.value for member in enum)
        raise CardCodeError(key, f"expected one of {choices}") from None


def _text(obj: Mapping[str, Any], key: str) -> str | None:
    value = obj.get(key)
    return None if value is None else _required(obj, key)


def _required(obj: Mapping[str, Any], key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value.strip():
        raise CardEncodingError(key, "expected a non-empty string")
    bad = _NOT_TEXT.search(value)
    if bad is not None:
        what = "a lone surrogate" if bad.group() >= "\ud800" else "a control character"
        raise CardEncodingError(key, f"holds {what} at character {bad.start()}")
    return value


def _id_number(obj: Mapping[str, Any]) -> str:
    value = _required(obj, "id_number")
    if "*" in value:
        raise CardEncodingError("id_number", "is masked; a card file needs the full number")
    return value


def _date(obj: Mapping[str, Any], key: str) -> dt.date:
    """Exactly ``YYYY-MM-DD``: ``fromisoformat`` alone also takes ``19500307`` and week dates."""
    value = obj.get(key)
    try:
        if not isinstance(value, str) or not _DATE.fullmatch(value):
            raise ValueError
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CardDateError(key, "expected an ISO date YYYY-MM-DD") from None


def _count(obj: Mapping[str, Any], key: str) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 99:
        raise CardEncodingError(key, "expected an integer from 0 to 99")
    return value


def _hex(value: object, key: str, size: int) -> bytes:
    try:
        if not isinstance(value, str):
            raise ValueError
        data = bytes.fromhex(value)
    except ValueError:
        raise CardEncodingError(key, "expected a string of hex digits") from None
    if len(data) != size:
        raise CardLengthError(key, f"{len(data)} bytes, expected {size}")
    return data


def _card_uid(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _UID.fullmatch(value):
        raise CardEncodingError("card_uid", "expected the chip serial as 2 to 32 hex digits")
    return value


def _photo(value: object) -> Photo | None:
    return None if value is None else Photo(wlt=_hex(value, "photo_wlt", PHOTO_SIZE))


def _fingerprints(value: object) -> tuple[bytes, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > 2:
        raise CardEncodingError("fingerprints", "expected a list of up to two hex templates")
    return tuple(_hex(item, "fingerprints", TEMPLATE_SIZE) for item in value)


def _appended_address(value: str | None) -> str | None:
    return None if value is None else parse_appended_address(encode_appended_address(value)) or None
