"""Placeholder until its owner lands it."""

import typer


def list_readers() -> None:
    """Not built yet."""
    raise typer.Exit(1)
