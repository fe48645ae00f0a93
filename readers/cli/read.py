"""Placeholder until its owner lands it."""

import typer


def read() -> None:
    """Not built yet."""
    raise typer.Exit(1)
