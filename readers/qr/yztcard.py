"""yzt elder cards (``YZT1:``): a printed QR code whose token the verifier signed with Ed25519.

The card says who the holder is (their subject), never whether they may pass: the kiosk looks
the subject up like a card tap. Layout (the issuer is verifier/qrcards/token.py; tests hold the
two sides together)::

    QR text    "YZT1:" + Base45( body ‖ signature )      all QR-alphanumeric: a small code
    body       54 bytes, big-endian
               version u8 = 1 · key id 4 bytes · serial 8 bytes · subject 32 bytes (the HMAC)
               issued_at u32 · expires_at u32 (Unix seconds) · holder u8
    signature  64 bytes, Ed25519 over the body
    holder     card type << 4 | age band at issue (``CARD_TYPES``, ``AGE_BANDS`` indexes)

The key id is the first 4 bytes of the SHA-256 of the raw 32-byte public key; the pinned key
file may hold several PEM public keys (old and new during a key change). Outcomes: no key
pinned or none with the card's key id → ``unknown_key`` (QR_UNKNOWN_KEY); a text that does not
decode or a signature that does not hold → ``invalid`` (QR_INVALID_SIGNATURE: a genuine card's
text always decodes, error correction makes sure); past ``expires_at`` or before ``issued_at``
(less ``CLOCK_SKEW_S``) → QR_EXPIRED; a serial the risk list names → QR_REVOKED. Every one of
those is CHECK. A valid card has no verdict of its own (``None``, QR_VALID): the tap decides.
"""

from __future__ import annotations

import hashlib
import re
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from base45 import b45decode
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_public_key,
)

from readers.qr.context import VerifyContext
from readers.qr.errors import QrError
from readers.qr.reasons import Reason
from readers.qr.result import QrResult, Signature

PREFIX = "YZT1:"
VERSION = 1
BODY = struct.Struct(">B4s8s32sIIB")
SIGNATURE_BYTES = 64
KEY_ID_BYTES = 4
CLOCK_SKEW_S = 300
CARD_TYPES = ("resident", "foreign_permanent", "foreign_permanent_2023", "hkmt_residence")
AGE_BANDS = ("0-17", "18-59", "60+")
REVOCATION_DOMAIN = b"yzt-card-serial:"
_PEM_BLOCK = re.compile(rb"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----", re.DOTALL)


class CardKeyError(QrError, ValueError):
    """A pinned card key file that holds no Ed25519 public key, or a block that is not one."""


@dataclass(frozen=True)
class YztCard:
    """What a card's token says, once its signature held."""

    key_id: bytes
    serial: bytes
    subject: str
    issued_at: datetime
    expires_at: datetime
    card_type: str
    age_band: str

    @property
    def serial_text(self) -> str:
        """The serial as printed on the card and typed for ``yzt verifier qr revoke``."""
        return serial_text(self.serial)


@dataclass(frozen=True)
class CardReading:
    """The verification result, and the card's claims when its signature is valid."""

    result: QrResult
    card: YztCard | None


def serial_text(serial: bytes) -> str:
    """``3F9A-71C2-0B4E-D815``: upper-case hex in groups of four."""
    digits = serial.hex().upper()
    return "-".join(digits[i : i + 4] for i in range(0, len(digits), 4))


def key_id(public_key: Ed25519PublicKey) -> bytes:
    """The first 4 bytes of the SHA-256 of the raw public key."""
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(raw).digest()[:KEY_ID_BYTES]


def revocation_key(serial: bytes) -> bytes:
    """The 16-byte risk-list key of a revoked serial (never equal to a subject's prefix)."""
    return hashlib.sha256(REVOCATION_DOMAIN + serial).digest()[:16]


@lru_cache(maxsize=8)
def load_card_keys(pem: bytes) -> dict[bytes, Ed25519PublicKey]:
    """Key id → key for every PEM public key in a pinned card key file."""
    blocks = _PEM_BLOCK.findall(pem)
    if not blocks:
        raise CardKeyError(
            "card key file: no '-----BEGIN PUBLIC KEY-----' block; expected the card-signing.pub "
            "that yzt verifier keys init wrote"
        )
    keys: dict[bytes, Ed25519PublicKey] = {}
    for number, block in enumerate(blocks, start=1):
        try:
            key = load_pem_public_key(block)
        except ValueError:
            raise CardKeyError(f"card key file: block {number} is not a PEM public key") from None
        if not isinstance(key, Ed25519PublicKey):
            raise CardKeyError(f"card key file: block {number} is not an Ed25519 key")
        keys[key_id(key)] = key
    return keys


def read_card(text: str, context: VerifyContext) -> CardReading:
    """Verify a ``YZT1:`` text under ``context``; CardKeyError for an unusable key file."""
    if context.public_key is None:
        return CardReading(unverifiable_yzt_card(text, context), None)
    keys = load_card_keys(context.public_key)
    raw = _decode(text)
    if raw is None:
        return CardReading(_result("invalid", False, [Reason.QR_INVALID_SIGNATURE]), None)
    if raw[0] != VERSION or len(raw) != BODY.size + SIGNATURE_BYTES:
        signature: Signature = "invalid" if raw[0] == VERSION else "unknown_key"
        reason = Reason.QR_INVALID_SIGNATURE if raw[0] == VERSION else Reason.QR_UNKNOWN_KEY
        return CardReading(_result(signature, False, [reason]), None)
    body, signed = raw[: BODY.size], raw[BODY.size :]
    card = _claims(body)
    expired = card is not None and _expired(card, context.at)
    key = keys.get(body[1 : 1 + KEY_ID_BYTES])
    if key is None:
        return CardReading(_result("unknown_key", expired, [Reason.QR_UNKNOWN_KEY]), None)
    if card is None or not _signed_by(key, signed, body):
        return CardReading(_result("invalid", expired, [Reason.QR_INVALID_SIGNATURE]), None)
    reasons = [Reason.QR_EXPIRED] if expired else []
    if context.revoked is not None and context.revoked(card.serial):
        reasons.append(Reason.QR_REVOKED)
    return CardReading(_result("valid", expired, reasons), card)


def verify_yzt_card(text: str, context: VerifyContext) -> QrResult:
    """The ``formats`` registry's verifier for ``YZT1:`` texts."""
    return read_card(text, context).result


def unverifiable_yzt_card(text: str, context: VerifyContext) -> QrResult:
    """A yzt card while no card key is pinned: nothing on it can be trusted or checked."""
    return _result("unknown_key", False, [Reason.QR_UNKNOWN_KEY])


def _decode(text: str) -> bytes | None:
    """The token bytes, or None when the text after the prefix is not Base45."""
    if not text.startswith(PREFIX):
        return None
    try:
        raw = b45decode(text[len(PREFIX) :])
    except ValueError:
        return None
    return raw or None


def _claims(body: bytes) -> YztCard | None:
    """The body's fields; None when the holder byte names no card type or age band."""
    _, kid, serial, subject, issued, expires, holder = BODY.unpack(body)
    kind, band = holder >> 4, holder & 0x0F
    if kind >= len(CARD_TYPES) or band >= len(AGE_BANDS):
        return None
    return YztCard(
        key_id=kid,
        serial=serial,
        subject=subject.hex(),
        issued_at=datetime.fromtimestamp(issued, UTC),
        expires_at=datetime.fromtimestamp(expires, UTC),
        card_type=CARD_TYPES[kind],
        age_band=AGE_BANDS[band],
    )


def _expired(card: YztCard, at: datetime) -> bool:
    return at > card.expires_at or at < card.issued_at - timedelta(seconds=CLOCK_SKEW_S)


def _signed_by(key: Ed25519PublicKey, signature: bytes, body: bytes) -> bool:
    try:
        key.verify(signature, body)
    except InvalidSignature:
        return False
    return True


def _result(signature: Signature, expired: bool, reasons: list[Reason]) -> QrResult:
    return QrResult(
        format="yzt",
        signature=signature,
        expired=expired,
        kind="identity",
        verdict="CHECK" if reasons else None,
        reasons=tuple(reasons or [Reason.QR_VALID]),
    )
