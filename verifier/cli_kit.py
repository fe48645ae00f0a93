"""What every ``yzt verifier`` command shares: the stderr console, ``--config``, ``fail`` and
``one_line_errors``.

Plain text only (no markup, highlighting or emoji codes): the lines hold paths, feed rows and
store messages, which must come out exactly as they are.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False, emoji=False)
ConfigOpt = Annotated[
    Path, typer.Option("--config", "-c", help="DIR/verifier.toml (from yzt verifier init)")
]


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print ``error: message`` on stderr; the caller raises the returned Exit."""
    err.print(f"error: {message}")
    return typer.Exit(code)


@contextmanager
def one_line_errors(*expected: type[Exception]) -> Iterator[None]:
    """The ``expected`` problems (config, store, input) become one line and exit 2."""
    try:
        yield
    except expected as exc:
        raise fail(str(exc)) from None
