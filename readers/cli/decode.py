"""Placeholder until its owner lands it."""

import typer


def decode() -> None:
    """Not built yet."""
    raise typer.Exit(1)
