"""What every ``readers`` command shares: the stderr console for hints and errors, and ``fail``.

Plain text only (no markup, highlighting or emoji codes): what is printed may hold a file name,
a device path or a reader's own message, and must come out exactly as it is.
"""

from __future__ import annotations

import typer
from rich.console import Console

err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False, emoji=False)


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print ``error: message`` on stderr; the caller raises the returned Exit."""
    err.print(f"error: {message}")
    return typer.Exit(code)
