"""``yzt verifier keys init`` and ``yzt verifier risklist publish``.

A config, key or store problem is one plain line on stderr and exit 2.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from verifier.config import ConfigError, load_config
from verifier.risklist.build import publish
from verifier.risklist.keys import init_keys, load_signing_key
from verifier.store import StoreError, open_store

keys_app = typer.Typer(help="The risk-list signing key pair.", no_args_is_help=True)
risklist_app = typer.Typer(help="The signed risk list kiosks sync.", no_args_is_help=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
ConfigOpt = Annotated[Path, typer.Option("--config", "-c", help="DIR/verifier.toml")]


@contextmanager
def plain_errors() -> Iterator[None]:
    try:
        yield
    except (ConfigError, StoreError) as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from None


@keys_app.command("init")
def keys_init(config: ConfigOpt) -> None:
    """Make the Ed25519 pair beside the config; print the public key file's path last."""
    with plain_errors():
        public = init_keys(load_config(config))
    err.print(f"Private key {public.with_suffix('.key')} (0600) stays on the publishing host.")
    err.print("Next: copy the public key to every kiosk, [verifier] public_key_file = PATH;")
    err.print(f"      restart yzt verifier serve --config {config} (it publishes from now on)")
    print(public)


@risklist_app.command("publish")
def risklist_publish(
    config: ConfigOpt,
    travel_window_days: Annotated[
        int | None, typer.Option(min=0, max=365, help="[risklist] travel_window_days")
    ] = None,
    keep_versions: Annotated[
        int | None, typer.Option(min=1, help="deltas kept for kiosks behind [risklist]")
    ] = None,
) -> None:
    """Publish a new version from the health-code, travel and card tables now (imports and
    serve publish by themselves when the key is there)."""
    with plain_errors():
        cfg = load_config(config)
        window = (
            cfg.risklist.travel_window_days if travel_window_days is None else travel_window_days
        )
        key = load_signing_key(cfg)
        engine = open_store(cfg.database_url())
        with err.status("computing and signing the risk list…"):
            result = publish(
                engine,
                key,
                travel_window_days=window,
                keep_versions=keep_versions or cfg.risklist.keep_versions,
            )
        engine.dispose()
    err.print(
        f"Published version {result.version}: {result.entries} subjects listed, "
        f"{result.changes} changed; snapshot {result.snapshot_bytes} B, "
        f"delta {result.delta_bytes} B."
    )
    err.print("Kiosks pick it up on their next sync (yzt kiosk sync --config … to force one).")
