"""``yzt kiosk run | check-config | status`` and, from kiosk.demo, ``yzt demo``.

Heavy imports (FastAPI, uvicorn, readers) happen inside the commands so ``yzt --help`` stays fast.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from kiosk.cli_kit import ConfigOption, err, out
from kiosk.demo.cli import demo_app

if TYPE_CHECKING:
    from kiosk.daemon import KioskDaemon

__all__ = ["demo_app", "kiosk_app"]

kiosk_app = typer.Typer(help="The kiosk daemon and its staff tools.", no_args_is_help=True)
DEFAULT_URL = "http://127.0.0.1:8080"


@kiosk_app.command("check-config")
def check_config(file: Annotated[Path, typer.Argument(help="Kiosk TOML file.")]) -> None:
    """Explain every problem in a kiosk config; exit 2 if there is any."""
    from kiosk.config import ConfigError, load_config

    try:
        config = load_config(file)
    except ConfigError as exc:
        err.print(f"{file}: {len(exc.problems)} problem(s)", style="bold red", markup=False)
        for problem in exc.problems:
            err.print(f"  • {problem}", markup=False, highlight=False)
        err.print(f"Fix them, then run: yzt kiosk check-config {file}", markup=False)
        raise typer.Exit(2) from None
    out.print(f"[green]{file} is valid.[/] kiosk {config.kiosk.id} at site {config.kiosk.site}")
    out.print(f"  reader {config.reader.uri} · verifier {config.verifier.url}", markup=False)
    out.print(f"Next: yzt kiosk run --config {file}", markup=False)


@kiosk_app.command("run")
def run(config: ConfigOption, verbose: bool = typer.Option(False, "--verbose", "-v")) -> None:
    """Run the kiosk daemon until Ctrl-C or SIGTERM."""
    from kiosk.config import ConfigError, load_config
    from kiosk.daemon import KioskDaemon, KioskStartError

    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        settings = load_config(config)
    except ConfigError as exc:
        err.print(str(exc), style="red", markup=False, highlight=False)
        err.print(f"Run: yzt kiosk check-config {config}", markup=False)
        raise typer.Exit(2) from None
    daemon = KioskDaemon(settings)
    try:
        asyncio.run(_until_signal(daemon))
    except KioskStartError as exc:
        err.print(f"[red]cannot start: {exc}[/]", highlight=False)
        raise typer.Exit(1) from None


async def _until_signal(daemon: KioskDaemon) -> None:
    """Run ``daemon`` until SIGINT/SIGTERM, telling systemd (Type=notify) when it is up."""
    from kiosk import sdnotify

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await daemon.start()
    sdnotify.ready(f"screen at {daemon.screen_url}")
    watchdog = asyncio.create_task(sdnotify.watchdog_loop())
    out.print(f"Kiosk screen: {daemon.screen_url}   staff status: {daemon.screen_url}status")
    out.print("Open the screen in Chromium kiosk mode; Ctrl-C stops the kiosk.")
    try:
        await stop.wait()
    finally:
        sdnotify.stopping()
        watchdog.cancel()
        await daemon.aclose()
        out.print("Kiosk stopped.")


@kiosk_app.command("sync")
def sync(config: ConfigOption) -> None:
    """Fetch, verify and apply the verifier's signed risk list now."""
    from kiosk.offline.cli import sync as run_sync

    run_sync(config)


@kiosk_app.command("outbox")
def outbox(config: ConfigOption) -> None:
    """How many verdict events wait for upload, and the age of the oldest."""
    from kiosk.offline.cli import outbox as show_outbox

    show_outbox(config)


@kiosk_app.command("status")
def status(
    url: Annotated[str, typer.Option(help="The kiosk's UI address.")] = DEFAULT_URL,
) -> None:
    """Print a running kiosk's status (reader, verifier link, today's counts, voice)."""
    import httpx

    from kiosk.status_view import status_table

    try:
        response = httpx.get(f"{url.rstrip('/')}/api/status", timeout=5)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        err.print(f"[red]cannot read {url}/api/status: {exc}[/]", highlight=False)
        err.print("Is the kiosk running? Start it with: yzt kiosk run --config FILE", markup=False)
        raise typer.Exit(1) from None
    out.print(status_table(response.json()))
