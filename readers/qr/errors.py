"""Every error the QR package raises on purpose, one class per step that can fail.

::

    QrError
    ├── QrImageError (ValueError)          an image that cannot be read, or with no readable code
    ├── UnknownFormatError (ValueError)    QR text whose prefix names no format we verify
    ├── Hc1Error (ValueError)              an HC1 payload that does not decode; ``step`` says where
    │   ├── PrefixError                    not ``HC1:`` followed by Base45 text
    │   ├── Base45Error                    not valid Base45 (RFC 9285)
    │   ├── DecompressionError             not a zlib stream, broken, or too large
    │   ├── CoseError                      not a COSE_Sign1 structure (RFC 9052) we can check
    │   ├── CwtError                       not CBOR Web Token claims with the hcert claim
    │   └── CertificateError               hcert JSON outside the EU DCC schema's structure
    └── TrustListError (ValueError)        a trust-list file that cannot be read or is malformed

Messages name the step, the field or byte position and what was expected. They never quote the
certificate's content: a name or birth date must not reach a log through an exception.
"""

from __future__ import annotations


class QrError(Exception):
    """Base of everything raised on purpose by ``readers.qr``."""


class QrImageError(QrError, ValueError):
    """An image file that cannot be read, or a picture with no readable QR code in it."""


class UnknownFormatError(QrError, ValueError):
    """QR text that is neither an EU health certificate (``HC1:``) nor a yzt card (``YZT1:``)."""


class Hc1Error(QrError, ValueError):
    """An ``HC1:`` payload that fails one decoding step; ``step`` names it for the message."""

    step = "hc1"

    def __init__(self, message: str) -> None:
        self.reason = message
        super().__init__(f"{self.step}: {message}")


class PrefixError(Hc1Error):
    """Text that does not start with the ``HC1:`` context identifier."""

    step = "prefix"


class Base45Error(Hc1Error):
    """Text after the prefix that is not Base45."""

    step = "base45"


class DecompressionError(Hc1Error):
    """Bytes that are not a complete zlib stream, or that inflate past the size limit."""

    step = "zlib"


class CoseError(Hc1Error):
    """Bytes that are not a COSE_Sign1 message with an algorithm we verify."""

    step = "cose"


class CwtError(Hc1Error):
    """A COSE payload that is not CWT claims carrying an EU health certificate."""

    step = "cwt"


class CertificateError(Hc1Error):
    """Health-certificate JSON whose structure breaks the EU DCC schema."""

    step = "certificate"


class TrustListError(QrError, ValueError):
    """A trust-list file that cannot be read, is not the expected JSON, or holds a bad entry."""
