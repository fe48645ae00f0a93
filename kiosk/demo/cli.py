"""``yzt demo`` (run everything), ``yzt demo tap NAME``, ``yzt demo remove`` and
``yzt demo verifier stop|start``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kiosk.cli_kit import err, out

demo_app = typer.Typer(
    help="Try the kiosk: a seeded verifier, the SAM simulator and the kiosk screen.",
    invoke_without_command=True,
)
DEFAULT_KIOSK_PORT = 8080
DEFAULT_VERIFIER_PORT = 8081
VERIFIER_START_TIMEOUT_S = 90  # the demo waits up to 60 s for its verifier to answer
verifier_app = typer.Typer(
    help="Stop the running demo's verifier (taps are then decided offline) or start it again."
)
demo_app.add_typer(verifier_app, name="verifier")
UrlOption = Annotated[str, typer.Option("--url", help="The running demo's kiosk address.")]


@demo_app.callback()
def demo(
    ctx: typer.Context,
    data: Annotated[
        Path | None, typer.Option("--data", help="Keep demo state here (default: a temp dir).")
    ] = None,
    kiosk_port: Annotated[
        int, typer.Option("--kiosk-port", help="Kiosk screen, panel and status port.")
    ] = DEFAULT_KIOSK_PORT,
    verifier_port: Annotated[
        int, typer.Option("--verifier-port", help="Verifier API port.")
    ] = DEFAULT_VERIFIER_PORT,
    people: Annotated[int, typer.Option("--people", help="Synthetic people to seed.")] = 2000,
) -> None:
    """Run the demo until Ctrl-C: prints the screen, status and demo-panel URLs."""
    if ctx.invoked_subcommand is not None:
        return
    from kiosk.demo.run import run_demo

    code = run_demo(data, kiosk_port=kiosk_port, verifier_port=verifier_port, people=people)
    raise typer.Exit(code)


@demo_app.command("tap")
def tap(
    name: Annotated[str, typer.Argument(help="Demo card name, e.g. green, red, elder.")],
    url: UrlOption = f"http://127.0.0.1:{DEFAULT_KIOSK_PORT}",
) -> None:
    """Place a demo card on the simulated reader of a running demo."""
    _post(f"{url.rstrip('/')}/demo/api/tap/{name}")
    default = url.rstrip("/") == f"http://127.0.0.1:{DEFAULT_KIOSK_PORT}"
    remove = "yzt demo remove" if default else f"yzt demo remove --url {url}"
    out.print(f"Placed card {name!r}. Take it away with: {remove}", markup=False)


@demo_app.command("remove")
def remove(url: UrlOption = f"http://127.0.0.1:{DEFAULT_KIOSK_PORT}") -> None:
    """Take the card off the simulated reader."""
    _post(f"{url.rstrip('/')}/demo/api/remove")
    out.print("Card removed.")


@verifier_app.command("stop")
def verifier_stop(url: UrlOption = f"http://127.0.0.1:{DEFAULT_KIOSK_PORT}") -> None:
    """Stop the demo's verifier; bring it back with ``yzt demo verifier start``."""
    out.print(_post(f"{url.rstrip('/')}/demo/api/verifier/stop")["message"], markup=False)


@verifier_app.command("start")
def verifier_start(url: UrlOption = f"http://127.0.0.1:{DEFAULT_KIOSK_PORT}") -> None:
    """Start the demo's verifier again (same data, same port)."""
    out.print(_post(f"{url.rstrip('/')}/demo/api/verifier/start")["message"], markup=False)


def _post(address: str) -> dict[str, object]:
    """The demo's JSON answer; on failure its reason on stderr and exit 1."""
    import httpx

    try:
        response = httpx.post(address, timeout=VERIFIER_START_TIMEOUT_S)
    except httpx.HTTPError as exc:
        err.print(f"cannot reach the demo at {address}: {exc}", markup=False)
        err.print("Start it first with: yzt demo", markup=False)
        raise typer.Exit(1) from None
    if response.status_code != 200:
        detail = response.json().get("detail", response.text) if response.content else ""
        err.print(f"the demo refused: {detail}", markup=False)
        raise typer.Exit(1)
    return response.json()
