"""CBOR Web Token claims (RFC 8392) of an EU health certificate, and its validity window.

::

    {1: iss (country, text), 4: exp (NumericDate), 6: iat (NumericDate),
     -260: {1: certificate JSON as CBOR}}

``exp`` and ``iat`` are required: a certificate without a window can never be shown valid.
A certificate is *expired* at a moment after ``exp`` or before ``iat`` (a code from the
future is as unusable as an old one, and a kiosk with a wrong clock must not pass it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from readers.qr.cbor import decode_cbor
from readers.qr.errors import CwtError

ISS, EXP, IAT, HCERT = 1, 4, 6, -260
EU_DCC = 1


@dataclass(frozen=True)
class CwtClaims:
    """The claims a verdict needs; ``hcert`` is the certificate JSON, not shown in ``repr``."""

    issuer: str | None
    issued_at: datetime
    expires_at: datetime
    hcert: object = field(repr=False)

    def expired(self, at: datetime) -> bool:
        """Whether ``at`` lies outside [issued at, expires at]."""
        return self.not_yet_valid(at) or at > self.expires_at

    def not_yet_valid(self, at: datetime) -> bool:
        """Whether ``at`` is before the issue time."""
        return at < self.issued_at


def parse_cwt(payload: bytes) -> CwtClaims:
    """The claims in a COSE payload."""
    claims = decode_cbor(payload, what="the COSE payload", error=CwtError)
    if not isinstance(claims, dict):
        raise CwtError("the COSE payload is not a map: expected CWT claims")
    issuer = claims.get(ISS)
    if issuer is not None and not isinstance(issuer, str):
        raise CwtError("claim 1 (iss) is not text: expected a country code")
    return CwtClaims(
        issuer=issuer,
        issued_at=_numeric_date(claims, IAT, "iat"),
        expires_at=_numeric_date(claims, EXP, "exp"),
        hcert=_hcert(claims),
    )


def _numeric_date(claims: dict[object, object], key: int, name: str) -> datetime:
    value = claims.get(key)
    if value is None:
        raise CwtError(f"claim {key} ({name}) is missing: expected seconds since 1970")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CwtError(f"claim {key} ({name}) is not a number: expected seconds since 1970")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise CwtError(f"claim {key} ({name}) = {value} is not a representable time") from None


def _hcert(claims: dict[object, object]) -> object:
    hcert = claims.get(HCERT)
    if not isinstance(hcert, dict):
        raise CwtError(
            f"claim {HCERT} (hcert) is missing or not a map: expected {{1: certificate}}"
        )
    if EU_DCC not in hcert:
        raise CwtError(f"claim {HCERT} (hcert) has no key 1: expected the EU DCC certificate")
    return hcert[EU_DCC]
