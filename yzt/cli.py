"""The one console script, ``yzt``: each package contributes its own command group."""

from __future__ import annotations

import typer

from kiosk.cli import demo_app, kiosk_app
from kiosk.doctor import doctor
from kiosk.face.cli import face_app
from readers.cli import card_app, reader_app, sim_app
from readers.qr.cli import qr_app
from verifier.cli import app as verifier_app

app = typer.Typer(
    name="yzt",
    help="一证通行 — ID-card health-code verification kiosks and their verifier.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(card_app, name="card")
app.add_typer(reader_app, name="reader")
app.add_typer(sim_app, name="sim")
app.add_typer(verifier_app, name="verifier")
app.add_typer(kiosk_app, name="kiosk")
app.add_typer(demo_app, name="demo")
app.add_typer(face_app, name="face")
app.add_typer(qr_app, name="qr")
app.command("doctor")(doctor)


def main() -> None:
    """Entry point of the ``yzt`` console script."""
    app()
