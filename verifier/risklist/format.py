"""The signed risk-list wire format (encoder; the kiosk's decoder is kiosk/offline/risklist.py).

Layout, all integers big-endian (docs/offline.md is the contract)::

    header (52 bytes)  magic "YZTR" · format u8 = 1 · kind u8 (0 snapshot, 1 delta) · u16 0
                       base_version u64 (0 for a snapshot) · version u64 · count u64
                       total u64 (list size once applied) · published_at i64 (Unix s, age origin)
                       body_length u32
    body               zlib(count × 16-byte subject prefix, sorted ascending ‖ count × flags u8)
    signature          64 bytes Ed25519 over header ‖ body

Subjects are the first 16 bytes of the 32-byte HMAC subject. In a delta, flags 0 means removed.
A revoked elder-card serial is an entry too, keyed by the first 16 bytes of SHA-256 of
"yzt-card-serial:" ‖ serial (verifier/qrcards/token.py) with flag ``QR_REVOKED``: the format
stays 1, so kiosks that predate cards read and apply the list unchanged (such a key never
equals a subject's, and they never ask for it).
The columnar body lets zlib squeeze the flags to almost nothing; Ed25519 and zlib are both
deterministic, so the same list and versions always give the same bytes (HTTP Range resumes).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

MAGIC = b"YZTR"
FORMAT = 1
SNAPSHOT = 0
DELTA = 1
HEADER = struct.Struct(">4sBBHQQQQqI")
SUBJECT_BYTES = 16
SIGNATURE_BYTES = 64
ZLIB_LEVEL = 6

CODE_RED = 0x01
CODE_YELLOW = 0x02
TRAVEL_MEDIUM = 0x04
TRAVEL_HIGH = 0x08
CARD_REPORTED = 0x10
QR_REVOKED = 0x20


@dataclass(frozen=True, slots=True)
class Header:
    kind: int
    base_version: int
    version: int
    count: int
    total: int
    published_at: int


def prefix(subject: str) -> bytes:
    """The 16-byte key of a 64-hex subject on the wire."""
    return bytes.fromhex(subject[: SUBJECT_BYTES * 2])


def encode(header: Header, entries: Mapping[bytes, int], key: Ed25519PrivateKey) -> bytes:
    """Header, compressed body and signature for ``entries`` (16-byte prefix → flags)."""
    keys = sorted(entries)
    body = zlib.compress(b"".join(keys) + bytes(entries[k] for k in keys), ZLIB_LEVEL)
    head = HEADER.pack(
        MAGIC,
        FORMAT,
        header.kind,
        0,
        header.base_version,
        header.version,
        len(keys),
        header.total,
        header.published_at,
        len(body),
    )
    return head + body + key.sign(head + body)
