"""``yzt card decode``: card bytes from a file or stdin → the card as JSON.

Accepted input, as binary or as hex text (any case; spaces and newlines ignored): a SAM answer
frame to ``30 01`` (1295 bytes) or ``30 10`` (1297, 1809 or 2321 bytes), a bare 256-byte text
block, or the 1284-byte record PC/SC readers return. Exit 0 with one JSON object on stdout;
exit 2 with one line on stderr when the input is unreadable or malformed.
"""

from __future__ import annotations

import json
import string
import sys
from pathlib import Path
from typing import Annotated

import typer

from readers.card import IdCard
from readers.cli_kit import fail
from readers.errors import ReadersError
from readers.record import RECORD_SIZE, parse_record
from readers.textblock import BLOCK_SIZE, parse_text_block

PREAMBLE = b"\xaa\xaa\xaa\x96\x69"
READ_FRAME_SIZES = {1295: False, 1297: True, 1809: True, 2321: True}
SUCCESS = 0x90
_HEX = frozenset(string.hexdigits)


class DecodeInputError(ValueError):
    """Input that is neither a frame, a text block nor a record, in binary or hex."""


def decode(
    source: Annotated[
        str,
        typer.Argument(
            metavar="FILE|-",
            help="A 30 01 / 30 10 answer frame or a 256-byte text block (binary or hex); "
            "- reads stdin.",
            show_default=False,
        ),
    ],
    reveal: Annotated[bool, typer.Option("--reveal", help="Print the ID number in full.")] = False,
) -> None:
    """Decode card bytes and print the card as JSON."""
    try:
        card = decode_bytes(_read(source))
    except (DecodeInputError, ReadersError) as error:
        raise fail(_one_line(error)) from None
    from readers.cardjson import card_to_json

    typer.echo(json.dumps(card_to_json(card, reveal=reveal), ensure_ascii=False, indent=2))


def decode_bytes(data: bytes) -> IdCard:
    """The card in ``data`` (any accepted form); raises ``DecodeInputError`` or a readers error."""
    data = _unhex(data)
    if data.startswith(PREAMBLE):
        return _decode_frame(data)
    if len(data) == BLOCK_SIZE:
        return parse_text_block(data)
    if len(data) == RECORD_SIZE:
        return parse_record(data, with_fingerprint=False)
    raise DecodeInputError(
        f"{len(data)} bytes: expected a SAM answer frame (starting AA AA AA 96 69), "
        f"a {BLOCK_SIZE}-byte text block or a {RECORD_SIZE}-byte record, in binary or hex"
    )


def _read(source: str) -> bytes:
    if source == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(source).read_bytes()
    except OSError as error:
        raise DecodeInputError(f"cannot read {source}: {error.strerror}") from None


def _unhex(data: bytes) -> bytes:
    """Hex text (any case, whitespace anywhere) as bytes; anything else is taken as binary."""
    if not data.isascii():
        return data
    digits = "".join(data.decode("ascii").split())
    if not digits or not _HEX.issuperset(digits):
        return data
    if len(digits) % 2:
        raise DecodeInputError(f"hex text has an odd number of digits ({len(digits)})")
    return bytes.fromhex(digits)


def _decode_frame(data: bytes) -> IdCard:
    from readers.sam.frames import decode_frame
    from readers.sam.status import status_error

    frame = decode_frame(data)
    if frame.sw3 != SUCCESS:
        raise status_error(frame.sw3, "the read command")
    with_fingerprint = READ_FRAME_SIZES.get(len(data))
    if with_fingerprint is None:
        sizes = ", ".join(str(size) for size in READ_FRAME_SIZES)
        raise DecodeInputError(
            f"frame of {len(data)} bytes is not an answer to 30 01 or 30 10 ({sizes} bytes)"
        )
    return parse_record(frame.data, with_fingerprint=with_fingerprint)


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())
