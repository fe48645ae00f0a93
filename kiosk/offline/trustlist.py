"""The kiosk's copy of the health-certificate trust list: verify a signed one, keep the last good.

Wire format (docs/offline.md; the encoder is verifier/qrcards/trustlist.py)::

    header 20 bytes  ">4sB3xqI": "YZTT", format 1, 0 0 0, issued_at (Unix s), body_length
    body             UTF-8 JSON {"certificates": [{"kid", "rawData"}, ...]}
    signature        64-byte Ed25519 over header ‖ body, checked against the pinned risk-list key

A list is taken only when its length, magic, format and signature are right, every certificate
in it is usable (``readers.qr.parse_trust_list``) and it was issued no earlier than the one held
(an old signed list replayed cannot bring back a withdrawn signer). It is then written to
``DATA/trustlist.signed`` (temporary file, fsync, rename) and replaces the one in memory; a
refused list changes nothing. At start the file is verified again before it is used.
"""

from __future__ import annotations

import hashlib
import logging
import os
import struct
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from readers.qr import TrustList, TrustListError, parse_trust_list

MAGIC = b"YZTT"
FORMAT = 1
HEADER = struct.Struct(">4sB3xqI")
SIGNATURE_BYTES = 64
MAX_BODY = 16 * 1024 * 1024
MAX_BYTES = HEADER.size + MAX_BODY + SIGNATURE_BYTES
"""Largest answer read from the network; more is refused before it is all downloaded."""

log = logging.getLogger(__name__)


class TrustListRefused(Exception):
    """A trust list that must not be used; one plain line naming what is wrong."""


@dataclass(frozen=True, slots=True)
class SignedTrustList:
    issued_at: int
    trust: TrustList
    raw: bytes

    @property
    def etag(self) -> str:
        """What the verifier calls these bytes (sent back as ``If-None-Match``)."""
        return f'"t-{hashlib.sha256(self.raw).hexdigest()[:32]}"'


def decode(data: bytes, key: Ed25519PublicKey) -> SignedTrustList:
    """The verified trust list in ``data``; TrustListRefused on any fault, the signature checked
    before the body is read."""
    least = HEADER.size + SIGNATURE_BYTES
    if not least <= len(data) <= MAX_BYTES:
        raise TrustListRefused(f"trust list: {len(data)} bytes, expected {least} to {MAX_BYTES}")
    magic, fmt, issued_at, body_length = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise TrustListRefused(f"trust list: magic {magic!r}, expected {MAGIC!r}")
    end = HEADER.size + body_length
    if end + SIGNATURE_BYTES != len(data):
        raise TrustListRefused(
            f"trust list: body_length {body_length} does not match the {len(data)} bytes received"
        )
    try:
        key.verify(data[end:], data[:end])
    except InvalidSignature:
        raise TrustListRefused(
            "trust list: signature does not verify with the pinned key"
        ) from None
    if fmt != FORMAT:
        raise TrustListRefused(f"trust list: format {fmt}, expected {FORMAT}")
    try:
        trust = parse_trust_list(data[HEADER.size : end].decode("utf-8"), source="trust list")
    except (UnicodeDecodeError, TrustListError) as exc:
        raise TrustListRefused(str(exc)) from None
    return SignedTrustList(issued_at, trust, data)


class TrustListStore:
    """The last good trust list, on disk and in memory."""

    def __init__(self, path: Path, key: Ed25519PublicKey) -> None:
        self.path = path
        self.key = key
        self.current: SignedTrustList | None = None
        try:
            self.current = decode(path.read_bytes(), key)
        except FileNotFoundError:
            pass
        except (OSError, TrustListRefused) as exc:
            log.warning("%s not used (the next sync replaces it): %s", path, exc)

    def accept(self, data: bytes) -> SignedTrustList:
        """Verify ``data`` and keep it; TrustListRefused leaves the held list as it was."""
        signed = decode(data, self.key)
        held = self.current
        if held is not None and signed.issued_at < held.issued_at:
            raise TrustListRefused(
                f"trust list: issued at {signed.issued_at}, before the one held "
                f"({held.issued_at}); an old list is not taken back"
            )
        part = self.path.with_suffix(".tmp")
        with part.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        part.replace(self.path)
        self.current = signed
        return signed
