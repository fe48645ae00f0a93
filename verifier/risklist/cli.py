"""``yzt verifier keys init`` (the risk-list and elder-card pairs) and ``yzt verifier risklist
publish``.

A config, key or store problem is one plain line on stderr and exit 2.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Annotated

import typer

from verifier.cli_kit import ConfigOpt, err, one_line_errors
from verifier.config import ConfigError, VerifierConfig, load_config
from verifier.qrcards.keys import card_key_file, init_card_keys
from verifier.risklist.build import publish
from verifier.risklist.keys import init_keys, load_signing_key, signing_key_file
from verifier.store import StoreError, open_store

keys_app = typer.Typer(help="The risk-list and elder-card signing key pairs.", no_args_is_help=True)
risklist_app = typer.Typer(help="The signed risk list kiosks sync.", no_args_is_help=True)


def plain_errors() -> AbstractContextManager[None]:
    """Config and store problems become one line and exit 2."""
    return one_line_errors(ConfigError, StoreError)


@keys_app.command("init")
def keys_init(config: ConfigOpt) -> None:
    """Make the Ed25519 pairs beside the config that do not exist yet: the elder-card pair, then
    the risk-list pair; print each new public key file's path (the risk list's last)."""
    with plain_errors():
        cfg = load_config(config)
        made = _make_missing(cfg)
    cards, risklist = made
    if cards is not None:
        err.print(f"Card key {card_key_file(cfg)} (0600) stays on the host that issues cards.")
        err.print(f"Next: pin {cards} on every kiosk, [qr] card_key_file = PATH.")
        print(cards)
    if risklist is not None:
        private = risklist.with_suffix(".key")
        err.print(f"Private key {private} (0600) stays on the publishing host.")
        err.print("Next: copy the public key to every kiosk, [verifier] public_key_file = PATH;")
        err.print(f"      restart yzt verifier serve --config {config} (it publishes from now on)")
        print(risklist)


def _make_missing(cfg: VerifierConfig) -> tuple[Path | None, Path | None]:
    """The new card and risk-list public keys (None where a pair was there already)."""
    have_cards, have_list = card_key_file(cfg).exists(), signing_key_file(cfg).exists()
    if have_cards and have_list:
        raise ConfigError(
            f"{signing_key_file(cfg)} exists, and so does {card_key_file(cfg)}; kiosks pin "
            "their public keys, keep them"
        )
    cards = None if have_cards else init_card_keys(cfg)
    return cards, None if have_list else init_keys(cfg)


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
