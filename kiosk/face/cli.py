"""Placeholder until its owner lands it."""

import typer

face_app = typer.Typer(help="Face check.", no_args_is_help=True)
