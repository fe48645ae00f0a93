"""``yzt kiosk sync`` (one risk-list and trust-list sync now, with a progress bar) and ``yzt
kiosk outbox`` (the backlog of verdict events not yet uploaded). Problems are one plain line and
exit 2; a list that synced but is past the freshness window (nobody publishes) says so and exits
1. The trust list's own trouble is a line of its own and fails nothing."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from kiosk.cli_kit import ConfigOption, err, out
from kiosk.config import ConfigError, KioskConfig, load_config
from kiosk.offline.risklist import RiskListError
from kiosk.offline.state import OfflineState
from kiosk.offline.sync import SyncError, SyncResult

offline_app = typer.Typer(
    help="Offline data: risk-list sync, outbox backlog.", no_args_is_help=True
)


def _config(path: Path) -> KioskConfig:
    try:
        return load_config(path)
    except ConfigError as exc:
        err.print(f"error: {exc}", markup=False)
        err.print(f"Run: yzt kiosk check-config {path}", markup=False)
        raise typer.Exit(2) from None


@offline_app.command("sync")
def sync(config: ConfigOption) -> None:
    """Fetch, verify and apply the verifier's signed risk list now."""
    settings = _config(config)
    try:
        result, risklist, trust = asyncio.run(_sync(settings))
    except (SyncError, RiskListError) as exc:
        err.print(f"error: {exc}", markup=False)
        err.print(
            "The list the kiosk had is kept. Check [verifier] url, token, public_key_file.",
            markup=False,
        )
        raise typer.Exit(2) from None
    info = result.info
    how = "resumed" if result.resumed else "downloaded"
    out.print(
        f"Risk list version {info.version}: {info.entries} subjects listed "
        f"({result.kind}, {how} {result.downloaded} bytes, signature verified).",
        highlight=False,
    )
    _print_trust(trust)
    age = _ago(risklist["age_s"] or 0.0)
    if not risklist["fresh"]:
        out.print(
            f"[red]But it was published {age} ago, past the freshness window: offline taps get "
            "CHECK. The verifier answers but publishes nothing new — check its publisher "
            "(yzt verifier risklist publish, [risklist] signing_key_file).[/]",
            highlight=False,
        )
        raise typer.Exit(1)
    out.print(f"Published {age} ago.", highlight=False)
    out.print(f"Next: yzt kiosk run --config {config} keeps it in sync.", markup=False)


def _print_trust(trust: dict[str, Any]) -> None:
    """One line on the health-certificate trust list (it never fails the sync)."""
    if trust["signers"] is not None:
        issued = dt.datetime.fromtimestamp(trust["issued_at"], dt.UTC).isoformat(timespec="seconds")
        out.print(
            f"Trust list: {trust['signers']} certificate signers, issued {issued} "
            "(signature verified).",
            markup=False,
        )
    if trust["last_error"] is not None:
        out.print(
            f"Trust list not renewed, the one held is kept: {trust['last_error']}", markup=False
        )


def _ago(seconds: float) -> str:
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


async def _sync(settings: KioskConfig) -> tuple[SyncResult, dict[str, Any], dict[str, Any]]:
    """The sync's result, the ``risklist`` status after it (age and freshness) and the trust
    list's."""
    state = OfflineState.from_kiosk(settings)
    columns = (TextColumn("risk list"), BarColumn(), DownloadColumn(), TransferSpeedColumn())
    try:
        with Progress(*columns, console=err) as progress:
            task = progress.add_task("sync", total=None)
            result = await state.sync_now(
                lambda done, total: progress.update(task, completed=done, total=total)
            )
        return result, state.status()["risklist"], state.trust_status()
    finally:
        await state.aclose()


@offline_app.command("outbox")
def outbox(config: ConfigOption) -> None:
    """How many verdict events wait for upload, and the age of the oldest."""
    from kiosk.outbox import Outbox

    settings = _config(config)
    path = settings.data.dir / "outbox.sqlite3"
    if not path.is_file():
        out.print(f"No outbox yet at {path}: the daemon creates it on its first start.")
        return
    box = Outbox(path)
    try:
        pending, oldest = box.pending(), box.oldest_age_s()
    finally:
        box.close()
    if pending == 0:
        out.print("Outbox empty: every verdict has reached the verifier.")
        return
    out.print(f"{pending} event(s) waiting; the oldest for {oldest:.0f} s.", highlight=False)
    out.print("They upload by themselves while the daemon runs and the verifier answers.")
