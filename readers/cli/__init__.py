"""``yzt card``, ``yzt reader`` and ``yzt sim``: command groups of the readers package."""

from __future__ import annotations

import typer

from readers.cli import decode, read, reader_list, sim

card_app = typer.Typer(help="Decode and read ID cards.", no_args_is_help=True)
card_app.command("decode")(decode.decode)
card_app.command("read")(read.read)

reader_app = typer.Typer(help="Find and probe card readers.", no_args_is_help=True)
reader_app.command("list")(reader_list.list_readers)

sim_app = sim.app
