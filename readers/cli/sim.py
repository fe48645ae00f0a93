"""Placeholder until its owner lands it."""

import typer

app = typer.Typer(help="Simulators.", no_args_is_help=True)
