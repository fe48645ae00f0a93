"""The transport layers of an EU Digital COVID Certificate QR code, undone one at a time.

::

    QR text = "HC1:" + Base45( zlib( COSE_Sign1 bytes ) )

Each function removes one layer and raises that layer's error (``errors.py``) saying what it
expected, so a test or an operator sees which step a damaged code broke. Base45 is the RFC 9285
``base45`` package (by one of the RFC's authors, strict about the alphabet and the value of each
group); this module only explains its ``ValueError``.
"""

from __future__ import annotations

import zlib

from base45 import BASE45_CHARSET, b45decode

from readers.qr.errors import Base45Error, DecompressionError, PrefixError

PREFIX = "HC1:"
# A QR code holds at most 2953 bytes and a certificate inflates to about 1 kB: anything past
# 64 KiB is a zip bomb, not a certificate.
MAX_INFLATED_BYTES = 64 * 1024


def unprefix(text: str) -> str:
    """The Base45 text after the ``HC1:`` context identifier."""
    if not text.startswith(PREFIX):
        raise PrefixError(f"expected the text to start with {PREFIX!r}, found {text[:4]!r}")
    return text[len(PREFIX) :]


def base45_decode(text: str) -> bytes:
    """The bytes that ``text`` encodes in Base45."""
    try:
        return b45decode(text)
    except ValueError:
        raise Base45Error(_base45_problem(text)) from None


def decompress(data: bytes) -> bytes:
    """The COSE bytes inside one complete zlib stream (RFC 1950)."""
    inflater = zlib.decompressobj()
    try:
        inflated = inflater.decompress(data, MAX_INFLATED_BYTES + 1)
    except zlib.error as error:
        head = data[:2].hex(" ") or "nothing"
        raise DecompressionError(
            f"expected a zlib stream (usually starting 78 da), got {head}: {error}"
        ) from None
    if len(inflated) > MAX_INFLATED_BYTES:
        raise DecompressionError(f"inflates past {MAX_INFLATED_BYTES} bytes: not a certificate")
    if not inflater.eof:
        raise DecompressionError(f"the zlib stream stops after {len(data)} bytes: it is cut short")
    if inflater.unused_data:
        extra = len(inflater.unused_data)
        raise DecompressionError(f"{extra} bytes follow the end of the zlib stream")
    return inflated


def decode_hc1(text: str) -> bytes:
    """The COSE bytes in a whole ``HC1:`` QR text."""
    return decompress(base45_decode(unprefix(text)))


def _base45_problem(text: str) -> str:
    """Why ``b45decode`` refused ``text``: the first bad character, the length, or a bad group."""
    for index, char in enumerate(text):
        if char not in BASE45_CHARSET:
            return (
                f"character {char!r} at position {index} is not in the Base45 alphabet "
                "(0-9, A-Z, space and $%*+-./:)"
            )
    if len(text) % 3 == 1:
        return (
            f"{len(text)} characters leave one over: expected groups of three "
            "and at most one final group of two"
        )
    for start in range(0, len(text), 3):
        group = text[start : start + 3]
        value = sum(BASE45_CHARSET.index(char) * 45**i for i, char in enumerate(group))
        limit = 0xFFFF if len(group) == 3 else 0xFF
        if value > limit:
            return f"group {group!r} at position {start} encodes {value}: more than {limit}"
    return "not Base45 text"
