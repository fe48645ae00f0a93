"""The elder card's QR text: claims packed, signed with Ed25519 and written in Base45.

Layout (the kiosk's reader is readers/qr/yztcard.py, which ``verifier`` may not import; tests
hold the two sides together)::

    QR text    "YZT1:" + Base45( body ‖ signature )      all QR-alphanumeric: a small code
    body       54 bytes, big-endian
               version u8 = 1 · key id 4 bytes · serial 8 bytes · subject 32 bytes (the HMAC)
               issued_at u32 · expires_at u32 (Unix seconds) · holder u8
    signature  64 bytes, Ed25519 over the body
    holder     card type << 4 | age band at issue (``CARD_TYPES``, ``AGE_BANDS`` indexes)

Key id: the first 4 bytes of the SHA-256 of the raw public key. No name, ID number or health
status is inside: the status is looked up at every tap, so a printed card never goes stale.
"""

from __future__ import annotations

import hashlib
import secrets
import struct
from dataclasses import dataclass
from datetime import datetime

from base45 import b45encode
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

PREFIX = "YZT1:"
VERSION = 1
BODY = struct.Struct(">B4s8s32sIIB")
SERIAL_BYTES = 8
CARD_TYPES = ("resident", "foreign_permanent", "foreign_permanent_2023", "hkmt_residence")
AGE_BANDS = ("0-17", "18-59", "60+")
REVOCATION_DOMAIN = b"yzt-card-serial:"


class SerialError(ValueError):
    """Text that is not a card serial; the message says what was expected."""


@dataclass(frozen=True, slots=True)
class CardClaims:
    """What one card says: whose it is (subject), which card, how long, which kind of holder."""

    serial: bytes
    subject: str
    issued_at: datetime
    expires_at: datetime
    card_type: str
    age_band: str


def key_id(public_key: Ed25519PublicKey) -> bytes:
    """The first 4 bytes of the SHA-256 of the raw public key."""
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(raw).digest()[:4]


def sign_token(claims: CardClaims, key: Ed25519PrivateKey) -> str:
    """The QR text of ``claims`` signed with ``key``."""
    holder = CARD_TYPES.index(claims.card_type) << 4 | AGE_BANDS.index(claims.age_band)
    body = BODY.pack(
        VERSION,
        key_id(key.public_key()),
        claims.serial,
        bytes.fromhex(claims.subject),
        int(claims.issued_at.timestamp()),
        int(claims.expires_at.timestamp()),
        holder,
    )
    return PREFIX + b45encode(body + key.sign(body)).decode("ascii")


def new_serial() -> bytes:
    """8 random bytes: unguessable, so nobody can revoke or forge a card by counting."""
    return secrets.token_bytes(SERIAL_BYTES)


def serial_text(serial: bytes) -> str:
    """``3F9A-71C2-0B4E-D815``: upper-case hex in groups of four, as printed on the card."""
    digits = serial.hex().upper()
    return "-".join(digits[i : i + 4] for i in range(0, len(digits), 4))


def parse_serial(text: str) -> bytes:
    """The serial in ``text``: 16 hex digits, any case, with or without hyphens and spaces."""
    digits = "".join(text.split()).replace("-", "")
    if len(digits) != SERIAL_BYTES * 2:
        raise SerialError(
            f"SERIAL: {len(digits)} hex digits, expected 16 as printed under the code "
            "(e.g. 3F9A-71C2-0B4E-D815)"
        )
    try:
        return bytes.fromhex(digits)
    except ValueError:
        bad = next(ch for ch in digits if ch not in "0123456789abcdefABCDEF")
        raise SerialError(f"SERIAL: {bad!r} is not a hex digit (0-9, A-F)") from None


def revocation_prefix(serial: bytes) -> str:
    """The revoked serial's risk-list key as 32 hex: never equal to a subject's prefix."""
    return hashlib.sha256(REVOCATION_DOMAIN + serial).digest()[:16].hex()
