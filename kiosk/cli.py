"""Placeholder until its owner lands it."""

import typer

kiosk_app = typer.Typer(help="Kiosk daemon.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo.")
