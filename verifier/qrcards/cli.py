"""``yzt verifier qr issue`` and ``yzt verifier qr revoke`` (admins, on the host with the card key).

The ID number is read as ``yzt verifier lookup`` reads it: typed unseen or piped in when
``--id-number`` is left out or ``-`` (an argument shows in ps and the shell's history). It is
hashed to the subject at once and never printed, stored or put on the card. A config, key,
store or input problem is one plain line on stderr and exit 2.
"""

from __future__ import annotations

import json
import sys
from contextlib import AbstractContextManager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from verifier.cli_kit import ConfigOpt, err, fail, one_line_errors
from verifier.config import ConfigError, load_config
from verifier.lookup import NotAnIdNumber
from verifier.qrcards.holder import HolderError
from verifier.qrcards.issue import make_card
from verifier.qrcards.keys import card_public_key_file, load_card_key
from verifier.qrcards.masking import mask_name
from verifier.qrcards.store import record_card, revoke_card
from verifier.qrcards.token import SerialError, parse_serial, serial_text
from verifier.risklist.publisher import Publisher
from verifier.store import StoreError, open_store
from verifier.timeutil import iso, utcnow

qr_app = typer.Typer(
    help="Printed elder QR cards (长者健康码卡): issue and revoke.", no_args_is_help=True
)


class AgeBand(StrEnum):
    child = "0-17"
    adult = "18-59"
    elder = "60+"


def plain_errors() -> AbstractContextManager[None]:
    """Every expected problem becomes one line and exit 2."""
    return one_line_errors(ConfigError, StoreError, NotAnIdNumber, HolderError, SerialError)


@qr_app.command("issue")
def issue(
    config: ConfigOpt,
    id_number: Annotated[
        str | None,
        typer.Option(
            "--id-number",
            help="the holder's ID number; leave it out or give - to type it unseen or pipe it "
            "in (an argument shows in ps and the shell's history)",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="card.png (300 dpi) or card.pdf (A6) [card-SERIAL.png]"),
    ] = None,
    valid_days: Annotated[
        int, typer.Option("--valid-days", min=1, max=3650, help="the card works this long")
    ] = 365,
    name: Annotated[
        str | None,
        typer.Option("--name", help="printed masked (张*明) so the holder knows it; never stored"),
    ] = None,
    age_band: Annotated[
        AgeBand | None,
        typer.Option("--age-band", help="only for 15-character numbers (no birth date in them)"),
    ] = None,
) -> None:
    """Issue a printable elder QR card; print its serial, file and expiry as JSON."""
    from verifier.qrcards.render import CardFace, RenderError, render_card

    number = _id_number(id_number)
    with plain_errors():
        cfg = load_config(config)
        key = load_card_key(cfg)
        engine = open_store(cfg.database_url())
        card = make_card(
            cfg.pepper_bytes(),
            key,
            id_number=number,
            valid_days=valid_days,
            now=utcnow(),
            age_band=None if age_band is None else age_band.value,
        )
    claims = card.claims
    serial = serial_text(claims.serial)
    path = out or Path(f"card-{serial}.png")
    face = CardFace(
        token=card.token,
        serial=serial,
        valid_until=claims.expires_at.date().isoformat(),
        masked_name=mask_name(name) if name else None,
    )
    try:
        render_card(face, path)
    except RenderError as exc:
        engine.dispose()
        raise fail(f"{exc}; no card was issued") from None
    try:
        with plain_errors():
            record_card(engine, claims, card.key_id)
    except typer.Exit:
        path.unlink(missing_ok=True)
        raise
    finally:
        engine.dispose()
    err.print(f"Card {serial} for a {claims.age_band} {claims.card_type} card holder: {path}")
    err.print(f"Kiosks verify it with [qr] card_key_file = {card_public_key_file(cfg)}")
    print(
        json.dumps(
            {
                "serial": serial,
                "file": str(path),
                "issued_at": iso(claims.issued_at),
                "valid_until": iso(claims.expires_at),
            }
        )
    )


@qr_app.command("revoke")
def revoke(
    config: ConfigOpt,
    serial: Annotated[str, typer.Argument(help="as printed under the code: 3F9A-71C2-0B4E-D815")],
) -> None:
    """Revoke a card (lost, stolen, holder gone); kiosks refuse it from their next risk-list
    sync, online or offline."""
    with plain_errors():
        number = parse_serial(serial)
        cfg = load_config(config)
        engine = open_store(cfg.database_url())
        outcome = revoke_card(engine, number, utcnow())
        if outcome.revoked_at is None:
            engine.dispose()
            raise fail(
                f"no card was issued with serial {serial_text(number)}; check the number "
                "printed under the code",
                1,
            )
        published = None if outcome.already else Publisher.from_config(cfg, engine).publish()
        engine.dispose()
    when = iso(outcome.revoked_at)
    if outcome.already:
        err.print(f"Card {serial_text(number)} was already revoked at {when}.")
        return
    err.print(f"Revoked card {serial_text(number)} at {when}.")
    if published is None:
        err.print(
            "The risk list was not published from here (no signing key): kiosks learn of it "
            "when the publishing host next publishes (yzt verifier risklist publish)."
        )
    else:
        err.print(
            f"Risk list version {published.version} published: kiosks refuse the card from "
            "their next sync."
        )


def _id_number(given: str | None) -> str:
    """The ID number from the option, or typed unseen / piped in for ``-`` or none."""
    if given is not None and given != "-":
        return given
    if sys.stdin.isatty():
        return str(typer.prompt("ID number", hide_input=True, err=True))
    return sys.stdin.readline()
