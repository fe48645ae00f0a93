"""Which QR format a text is, and the verifier registered for it.

A format is known by its text prefix. Each has one verifier, ``(text, VerifyContext) →
QrResult``; a later module replaces a format's verifier with ``register_format``, so callers
(the CLI, the kiosk) never change when one is added. Known today:

- ``HC1:`` — EU Digital COVID Certificate, verified by ``readers.qr.dcc``.
- ``YZT1:`` — yzt elder card, verified by ``readers.qr.yztcard`` against the pinned card key
  (``VerifyContext.public_key``). With no key pinned it answers ``unknown_key`` /
  ``QR_UNKNOWN_KEY`` / CHECK (``unverifiable_yzt_card``): staff look, as for any card the kiosk
  cannot verify.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from readers.qr.context import VerifyContext
from readers.qr.dcc import verify_hc1
from readers.qr.errors import UnknownFormatError
from readers.qr.hc1 import PREFIX as HC1_PREFIX
from readers.qr.result import Format, QrResult
from readers.qr.yztcard import PREFIX as YZT_PREFIX
from readers.qr.yztcard import verify_yzt_card

__all__ = [
    "YZT_PREFIX",
    "QrFormat",
    "Verifier",
    "detect_format",
    "find_format",
    "register_format",
    "verify_text",
]

Verifier = Callable[[str, VerifyContext], QrResult]


@dataclass(frozen=True)
class QrFormat:
    """A format's name (as in the JSON), its text prefix and its verifier."""

    name: Format
    prefix: str
    verifier: Verifier


_FORMATS: dict[Format, QrFormat] = {
    "hc1": QrFormat("hc1", HC1_PREFIX, verify_hc1),
    "yzt": QrFormat("yzt", YZT_PREFIX, verify_yzt_card),
}


def register_format(name: Format, prefix: str, verifier: Verifier) -> None:
    """Make ``verifier`` the one for texts starting with ``prefix`` (replacing ``name``'s)."""
    _FORMATS[name] = QrFormat(name, prefix, verifier)


def find_format(text: str) -> QrFormat | None:
    """The known format whose prefix ``text`` starts with, if any."""
    return next((known for known in _FORMATS.values() if text.startswith(known.prefix)), None)


def detect_format(text: str) -> QrFormat:
    """The known format whose prefix ``text`` starts with."""
    known = find_format(text)
    if known is not None:
        return known
    expected = " or ".join(f"{f.prefix} ({f.name})" for f in _FORMATS.values())
    raise UnknownFormatError(
        f"the QR text ({len(text)} characters) is not a known format: "
        f"expected it to start with {expected}"
    )


def verify_text(text: str, context: VerifyContext) -> QrResult:
    """The verdict on a QR code's text, by the verifier of its format."""
    known = detect_format(text)
    return known.verifier(text, context)
