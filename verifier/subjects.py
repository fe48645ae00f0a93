"""``subject = HMAC-SHA256(pepper, id_number.upper())`` — the only key a person has here: 64 hex
characters on the wire and in the API, its 32 bytes in the store (verifier/store/schema.py)."""

from __future__ import annotations

import hashlib
import hmac
import re

SUBJECT_RE = re.compile(r"[0-9a-f]{64}")
SUBJECT_PATTERN = r"^[0-9a-f]{64}$"
_BLOCK = hashlib.sha256().block_size
_IPAD = bytes(x ^ 0x36 for x in range(256))
_OPAD = bytes(x ^ 0x5C for x in range(256))


def subject_of(pepper: bytes, id_number: str) -> str:
    """64 lowercase hex characters; the kiosk computes the same from the same pepper."""
    return hmac.new(pepper, id_number.upper().encode(), hashlib.sha256).hexdigest()


def is_subject(value: str) -> bool:
    """True for 64 lowercase hex characters."""
    return SUBJECT_RE.fullmatch(value) is not None


class SubjectHasher:
    """``subject_of`` for one pepper, for a feed's million rows, as the 32 bytes the store keeps:
    HMAC (RFC 2104) with the pepper's inner and outer SHA-256 states computed once and copied
    per number. ``hmac.digest`` and ``hmac.HMAC.copy`` go through OpenSSL 3 MAC contexts that
    cost 2.5× this per call, a third of an import's work per row (docs/performance.md). Tests
    hold it equal to ``subject_of``."""

    def __init__(self, pepper: bytes) -> None:
        key = hashlib.sha256(pepper).digest() if len(pepper) > _BLOCK else pepper
        key = key.ljust(_BLOCK, b"\0")
        self._inner = hashlib.sha256(key.translate(_IPAD))
        self._outer = hashlib.sha256(key.translate(_OPAD))

    def __call__(self, id_number: str) -> bytes:
        """The subject's bytes for a number already upper-cased (``normalize_id_number``)."""
        inner = self._inner.copy()
        inner.update(id_number.encode())
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()
