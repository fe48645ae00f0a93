"""QR codes at the kiosk: read them from camera frames, and verify what they carry.

``read_codes(frame)`` finds QR texts in a frame; ``verify_text(text, VerifyContext(...))``
turns one into a ``QrResult`` (format, signature, expired, kind, verdict, reasons) through the
verifier registered for its format (``formats.py``): EU health certificates (``HC1:``) and yzt
elder cards (``YZT1:``, ``yztcard.py``). Errors: ``errors.py`` (and ``yztcard.CardKeyError`` for
an unusable card key file).
"""

from __future__ import annotations

from readers.qr.clock import parse_time
from readers.qr.context import VerifyContext
from readers.qr.errors import (
    Base45Error,
    CertificateError,
    CoseError,
    CwtError,
    DecompressionError,
    Hc1Error,
    PrefixError,
    QrError,
    QrImageError,
    TrustListError,
    UnknownFormatError,
)
from readers.qr.formats import QrFormat, Verifier, detect_format, register_format, verify_text
from readers.qr.reasons import Reason
from readers.qr.result import QrResult
from readers.qr.rules import CertPolicy
from readers.qr.scan import read_codes, read_image_bytes, read_image_file
from readers.qr.trustlist import Signer, TrustList, load_trust_list, parse_trust_list

__all__ = [
    "Base45Error",
    "CertPolicy",
    "CertificateError",
    "CoseError",
    "CwtError",
    "DecompressionError",
    "Hc1Error",
    "PrefixError",
    "QrError",
    "QrFormat",
    "QrImageError",
    "QrResult",
    "Reason",
    "Signer",
    "TrustList",
    "TrustListError",
    "UnknownFormatError",
    "Verifier",
    "VerifyContext",
    "detect_format",
    "load_trust_list",
    "parse_time",
    "parse_trust_list",
    "read_codes",
    "read_image_bytes",
    "read_image_file",
    "register_format",
    "verify_text",
]
