"""Verifying an EU Digital COVID Certificate (``HC1:``): signature, validity window, rules, verdict.

Decoding failures give ``CERT_MALFORMED`` (nothing can be checked, so staff look). The
signature is checked against every trusted signer with the message's key id; an unknown key id
is ``unknown_key``, not ``invalid``. A signer whose extended key usage does not cover the
certificate's kind gives ``CERT_KEY_USAGE`` while the signature stays ``valid``. ``expired`` is
reported whatever the signature. Verdict: an invalid signature → DENY; no reason at all →
PASS with ``CERT_VALID``; anything else → CHECK.
"""

from __future__ import annotations

from readers.qr.certificate import parse_certificate
from readers.qr.context import VerifyContext
from readers.qr.cose import CoseSign1, parse_cose, signature_valid
from readers.qr.cwt import parse_cwt
from readers.qr.errors import Hc1Error
from readers.qr.hc1 import decode_hc1
from readers.qr.reasons import Reason
from readers.qr.result import QrKind, QrResult, Signature, Verdict
from readers.qr.rules import rule_reasons
from readers.qr.trustlist import Signer, TrustList

SIGNATURE_REASONS: dict[Signature, Reason] = {
    "invalid": Reason.CERT_INVALID_SIGNATURE,
    "unknown_key": Reason.CERT_UNKNOWN_KEY,
}


def check_signature(message: CoseSign1, trust_list: TrustList) -> tuple[Signature, Signer | None]:
    """The signature state of ``message`` and the trusted signer that made it, if one did."""
    signers = trust_list.find(message.kid)
    if not signers:
        return "unknown_key", None
    for signer in signers:
        if signature_valid(message, signer.public_key):
            return "valid", signer
    return "invalid", None


def verify_hc1(text: str, context: VerifyContext) -> QrResult:
    """The verdict on an ``HC1:`` QR text under ``context``."""
    try:
        message = parse_cose(decode_hc1(text))
    except Hc1Error:
        return _result("invalid", False, None, [Reason.CERT_MALFORMED])
    signature, signer = check_signature(message, context.trust_list)
    reasons = [SIGNATURE_REASONS[signature]] if signature in SIGNATURE_REASONS else []
    try:
        claims = parse_cwt(message.payload)
    except Hc1Error:
        return _result(signature, False, None, [*reasons, Reason.CERT_MALFORMED])
    expired = claims.expired(context.at)
    if expired:
        late = not claims.not_yet_valid(context.at)
        reasons.append(Reason.CERT_EXPIRED if late else Reason.CERT_NOT_YET_VALID)
    try:
        certificate = parse_certificate(claims.hcert)
    except Hc1Error:
        return _result(signature, expired, None, [*reasons, Reason.CERT_MALFORMED])
    if signer is not None and not signer.may_sign(certificate.kind):
        reasons.append(Reason.CERT_KEY_USAGE)
    reasons += rule_reasons(certificate.entry, context.at, context.policy)
    return _result(signature, expired, certificate.kind, reasons, certificate.masked_name)


def verdict_for(reasons: list[Reason]) -> Verdict:
    """DENY for a forged signature, PASS with no reason against, CHECK for everything else."""
    if Reason.CERT_INVALID_SIGNATURE in reasons:
        return "DENY"
    return "CHECK" if reasons else "PASS"


def _result(
    signature: Signature,
    expired: bool,
    kind: QrKind | None,
    reasons: list[Reason],
    masked_name: str | None = None,
) -> QrResult:
    unique = list(dict.fromkeys(reasons))
    return QrResult(
        format="hc1",
        signature=signature,
        expired=expired,
        kind=kind,
        verdict=verdict_for(unique),
        reasons=tuple(unique or [Reason.CERT_VALID]),
        masked_name=masked_name,
    )
