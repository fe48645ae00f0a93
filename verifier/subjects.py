"""``subject = HMAC-SHA256(pepper, id_number.upper())`` — the only key a person has here."""

from __future__ import annotations

import hashlib
import hmac
import re

SUBJECT_RE = re.compile(r"[0-9a-f]{64}")
SUBJECT_PATTERN = r"^[0-9a-f]{64}$"


def subject_of(pepper: bytes, id_number: str) -> str:
    """64 lowercase hex characters; the kiosk computes the same from the same pepper."""
    return hmac.new(pepper, id_number.upper().encode(), hashlib.sha256).hexdigest()


def is_subject(value: str) -> bool:
    """True for 64 lowercase hex characters."""
    return SUBJECT_RE.fullmatch(value) is not None
