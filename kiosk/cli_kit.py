"""What every kiosk command shares: its consoles, the ``--config`` option and ``fail``.

The stderr console takes rich markup (``[red]…[/]``) for the lines written with it; anything
holding outside text is printed with ``markup=False``, as ``fail`` does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

out = Console(soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)
ConfigOption = Annotated[
    Path, typer.Option("--config", "-c", help="Kiosk TOML file (docs/kiosk.md).")
]


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print ``error: message`` on stderr; the caller raises the returned Exit."""
    err.print(f"error: {message}", markup=False)
    return typer.Exit(code)
