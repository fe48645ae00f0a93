"""``yzt qr verify``: one QR code (an image or its text) → a JSON verdict.

Exit 0 with one JSON line whatever the outcome (a forged or expired certificate is an answer,
not an error); exit 2 with one line on stderr when the image holds no readable QR code, the
text is not a known format, or an input file or option is unusable. The JSON never holds a
name, birth date or ID number.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from readers.cli_kit import fail
from readers.qr.clock import parse_time
from readers.qr.context import VerifyContext
from readers.qr.errors import QrError, QrImageError
from readers.qr.formats import find_format, verify_text
from readers.qr.scan import read_image_file
from readers.qr.trustlist import TrustList, load_trust_list

qr_app = typer.Typer(
    help="Verify QR codes: EU health certificates (HC1:) and yzt elder cards (YZT1:).",
    no_args_is_help=True,
)


class UsageError(ValueError):
    """Options that do not make one verification request."""


@qr_app.command("verify")
def verify(
    image: Annotated[
        Path | None,
        typer.Argument(
            metavar="IMAGE", help="A photo or screenshot holding the QR code.", show_default=False
        ),
    ] = None,
    text: Annotated[
        str | None, typer.Option("--text", help="The QR code's text instead of an image.")
    ] = None,
    trust_list: Annotated[
        Path | None,
        typer.Option("--trust-list", help='Signer certificates: {"certificates": [...]}.'),
    ] = None,
    public_key: Annotated[
        Path | None, typer.Option("--public-key", help="The yzt card public key file.")
    ] = None,
    at: Annotated[
        str | None,
        typer.Option("--at", help="Check at this ISO 8601 time (default now; no offset = UTC)."),
    ] = None,
) -> None:
    """Verify one QR code and print the verdict as JSON."""
    try:
        payload = _payload(image, text)
        context = VerifyContext(
            at=_time(at),
            trust_list=load_trust_list(trust_list) if trust_list else TrustList(),
            public_key=_key(public_key),
        )
        result = verify_text(payload, context)
    except (QrError, UsageError) as error:
        raise fail(" ".join(str(error).split())) from None
    typer.echo(json.dumps(result.to_json()))


def _payload(image: Path | None, text: str | None) -> str:
    """The QR text given, or the first code in the image of a known format (else the first)."""
    if text is not None and image is None:
        return text
    if image is None or text is not None:
        raise UsageError("give either an IMAGE or --text PAYLOAD, not both or neither")
    codes = read_image_file(image)
    if not codes:
        raise QrImageError(f"no readable QR code in {image}: expected a photo with one QR code")
    known = [code for code in codes if find_format(code) is not None]
    return (known or list(codes))[0]


def _time(at: str | None) -> datetime:
    if at is None:
        return datetime.now(UTC)
    try:
        return parse_time(at)
    except ValueError as error:
        raise UsageError(f"--at: {error}") from None


def _key(path: Path | None) -> bytes | None:
    if path is None:
        return None
    try:
        return path.read_bytes()
    except OSError as error:
        raise UsageError(f"cannot read --public-key {path}: {error.strerror or error}") from None
