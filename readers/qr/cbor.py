"""Strict CBOR decoding for signed messages: one item, no trailing bytes, no duplicate keys.

``cbor2.loads`` ignores bytes after the first item and keeps the last of two equal map keys;
in a signed message either is a way to make two parsers read different things, so both are
errors here, raised as the calling step's own error class.
"""

from __future__ import annotations

import io

import cbor2

from readers.qr.errors import Hc1Error

MAX_DEPTH = 16


def decode_cbor(data: bytes, *, what: str, error: type[Hc1Error]) -> object:
    """The one CBOR item in ``data``; ``what`` names it in ``error``'s message."""
    stream = io.BytesIO(data)
    decoder = cbor2.CBORDecoder(stream, allow_duplicate_keys=False, max_depth=MAX_DEPTH)
    try:
        item = decoder.decode()
    except (cbor2.CBORError, ValueError, TypeError, OverflowError) as exc:
        raise error(f"{what} is not valid CBOR: {exc}") from None
    extra = len(data) - stream.tell()
    if extra:
        raise error(f"{what} has {extra} more byte(s) after its CBOR item: expected one item")
    return item
