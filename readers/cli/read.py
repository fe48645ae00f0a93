"""``yzt card read``: wait for one card on a reader and print it as ``yzt card decode`` does.

Exit codes: 0 card printed · 2 bad reader URI · 3 no card within the timeout · 4 a card was
there but its data is not a valid identity (the reason is printed).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer

from readers.backends import open_reader
from readers.card import IdCard
from readers.cardjson import card_to_json
from readers.cli_kit import err, fail
from readers.errors import ReaderURIError
from readers.events import CardPresent, CardUnreadable, Reader, ReaderFault, ReaderRestored


def read(
    reader: Annotated[
        str,
        typer.Option(
            "--reader",
            help="Reader URI: sim://DIR, serial:///dev/ttyUSB0?baud=115200, tcp://HOST:PORT, "
            "pcsc://NAME.",
        ),
    ],
    timeout: Annotated[float, typer.Option(help="Seconds to wait for a card.", min=0.1)] = 30.0,
    reveal: Annotated[bool, typer.Option(help="Print the ID number in full.")] = False,
    photo: Annotated[
        Path | None, typer.Option(help="Write the photo here (decoded image if any, else WLT).")
    ] = None,
) -> None:
    """Wait for one card and print it as JSON."""
    try:
        source = open_reader(reader)
    except ReaderURIError as error:
        raise fail(str(error)) from None
    err.print(f"waiting up to {timeout:g} s for a card on {reader} …")
    with err.status("place a card on the reader"):
        event = asyncio.run(_first_card(source, timeout))
    if event is None:
        err.print(f"no card on {reader} within {timeout:g} s")
        raise typer.Exit(3)
    if isinstance(event, CardUnreadable):
        err.print(f"card unreadable ({event.reason}): {event.message}")
        raise typer.Exit(4)
    _print_card(event.card, reveal, photo)


async def _first_card(source: Reader, timeout: float) -> CardPresent | CardUnreadable | None:
    async def wait() -> CardPresent | CardUnreadable | None:
        async for event in source.events():
            if isinstance(event, CardPresent | CardUnreadable):
                return event
            if isinstance(event, ReaderFault):
                err.print(f"reader: {event.message} ({event.code}) — still trying")
            elif isinstance(event, ReaderRestored):
                err.print("reader: answering again")
        return None

    try:
        return await asyncio.wait_for(wait(), timeout)
    except TimeoutError:
        return None
    finally:
        await source.aclose()


def _print_card(card: IdCard, reveal: bool, photo: Path | None) -> None:
    print(json.dumps(card_to_json(card, reveal=reveal), ensure_ascii=False, indent=2))
    if photo is not None:
        if card.photo is None:
            err.print("the card has no photo; nothing written")
            return
        data = card.photo.image or card.photo.wlt
        try:
            photo.write_bytes(data)
        except OSError as error:
            raise fail(f"cannot write the photo to {photo}: {error.strerror}", 1) from None
        kind = (card.photo.image_format or "image") if card.photo.image else "WLT"
        err.print(f"photo ({kind}, {len(data)} bytes) written to {photo}")
