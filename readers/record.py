"""The data part of a SAM read answer (``30 01``, ``30 10``) and the appended address (``30 03``).

``30 01`` data, also the 1284-byte record PC/SC readers with a SAM return::

    0  2  text length, big-endian (256)
    2  2  photo length, big-endian (1024, or 0 when the card has no photo)
    4  256 text block (readers.textblock)
    260 1024 photo, raw WLT (starts 57 4C 66 00 7E 00; not enforced — Photo.has_wlt_header)

``30 10`` data::

    0  2  text length (256)   2  2  photo length (1024|0)   4  2  fingerprint length (0|512|1024)
    6  text block, then photo, then fingerprints: one 512-byte template per finger, up to two

``30 03`` data: 70 bytes, the address written by a later change of residence (UCS-2LE, space
padded). Offsets in errors about text fields count from the start of the text block.
"""

from __future__ import annotations

from readers.card import IdCard, Photo
from readers.errors import CardEncodingError, CardLengthError
from readers.textblock import BLOCK_SIZE, PAD, encode_text_block, text_block_fields

PHOTO_SIZE = 1024
TEMPLATE_SIZE = 512
ADDRESS_SIZE = 70
PHOTO_SIZES = (0, PHOTO_SIZE)
FINGERPRINT_SIZES = (0, TEMPLATE_SIZE, 2 * TEMPLATE_SIZE)
RECORD_SIZE = 4 + BLOCK_SIZE + PHOTO_SIZE


def parse_record(payload: bytes, *, with_fingerprint: bool) -> IdCard:
    """The card in the data of a ``30 01`` (or, ``with_fingerprint``, a ``30 10``) answer."""
    data = bytes(payload)
    header = 6 if with_fingerprint else 4
    if len(data) < header:
        raise CardLengthError(
            "record", f"{len(data)} bytes, expected a {header}-byte length header", data=data
        )
    text_len = _length(data, 0, "text_length", (BLOCK_SIZE,))
    photo_len = _length(data, 2, "photo_length", PHOTO_SIZES)
    finger_len = _length(data, 4, "fingerprint_length", FINGERPRINT_SIZES) if header == 6 else 0
    expected = header + text_len + photo_len + finger_len
    if len(data) != expected:
        raise CardLengthError(
            "record", f"{len(data)} bytes, the lengths in its header add up to {expected}"
        )
    photo_at = header + text_len
    fingers_at = photo_at + photo_len
    fields = text_block_fields(data[header:photo_at])
    templates = tuple(
        data[at : at + TEMPLATE_SIZE] for at in range(fingers_at, len(data), TEMPLATE_SIZE)
    )
    photo = Photo(wlt=data[photo_at:fingers_at]) if photo_len else None
    return IdCard(**fields, photo=photo, fingerprints=templates, raw=data)


def _length(data: bytes, offset: int, field: str, allowed: tuple[int, ...]) -> int:
    value = int.from_bytes(data[offset : offset + 2], "big")
    if value not in allowed:
        choices = " or ".join(str(size) for size in allowed)
        raise CardLengthError(
            field, f"{value}, expected {choices}", offset=offset, data=data[offset : offset + 2]
        )
    return value


def encode_record(card: IdCard, *, with_fingerprint: bool) -> bytes:
    """The ``30 01`` / ``30 10`` answer data ``parse_record`` reads back as ``card``."""
    text = encode_text_block(card)
    photo = card.photo.wlt if card.photo is not None else b""
    if len(photo) not in PHOTO_SIZES:
        raise CardLengthError("photo", f"{len(photo)} bytes of WLT, expected {PHOTO_SIZE}")
    fingers = b"".join(card.fingerprints) if with_fingerprint else b""
    if len(card.fingerprints) > 2 or any(len(t) != TEMPLATE_SIZE for t in card.fingerprints):
        raise CardLengthError("fingerprints", f"expected up to two {TEMPLATE_SIZE}-byte templates")
    lengths = [len(text), len(photo)] + ([len(fingers)] if with_fingerprint else [])
    header = b"".join(n.to_bytes(2, "big") for n in lengths)
    return header + text + photo + fingers


def parse_appended_address(data: bytes) -> str:
    """The address of a ``30 03`` answer: 70 bytes of UCS-2LE, padding trimmed."""
    raw = bytes(data)
    if len(raw) != ADDRESS_SIZE:
        raise CardLengthError(
            "appended_address", f"{len(raw)} bytes, expected {ADDRESS_SIZE}", data=raw[:16]
        )
    try:
        text = raw.decode("utf-16-le").rstrip(PAD)
    except UnicodeDecodeError:
        raise CardEncodingError(
            "appended_address", "not UTF-16LE text (broken surrogate pair)", data=raw
        ) from None
    if any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in text):
        raise CardEncodingError("appended_address", "holds a control character", data=raw)
    return text


def encode_appended_address(address: str) -> bytes:
    """The 70-byte ``30 03`` answer for ``address`` (the simulator's side)."""
    data = address.encode("utf-16-le")
    if len(data) > ADDRESS_SIZE:
        raise CardLengthError(
            "appended_address", f"{len(data)} bytes of text do not fit in {ADDRESS_SIZE}"
        )
    return data + b" \x00" * ((ADDRESS_SIZE - len(data)) // 2)
