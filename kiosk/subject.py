"""The only key the kiosk sends or stores for a person (contracts.md "Subjects")."""

from __future__ import annotations

import hashlib
import hmac


def subject_of(pepper: bytes, id_number: str) -> str:
    """HMAC-SHA256(pepper, upper-cased ID number) as 64 lowercase hex characters."""
    return hmac.new(pepper, id_number.upper().encode("ascii"), hashlib.sha256).hexdigest()
