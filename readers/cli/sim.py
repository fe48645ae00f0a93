"""``yzt sim sam``: run the SAM-module simulator on a pty or a TCP port and drive it.

The first line on stdout is the device path (``--pty``) or the bound port (``--tcp``), printed
once everything (control port included) is listening, so scripts can read it and go; hints go to
stderr. Commands are read from stdin and, with ``--control PORT``, as
JSON lines on 127.0.0.1:PORT (``readers.simulator.control`` lists them).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
import threading
from pathlib import Path
from typing import Annotated

import typer

from readers.cli_kit import err, fail
from readers.simulator import CardDeck, DeckError, SamSimulator
from readers.simulator.control import USAGE, CommandError, Reply, apply, parse_json, parse_text

app = typer.Typer(help="Simulators of card-reader hardware.", no_args_is_help=True)


@app.command("sam")
def sam(
    cards: Annotated[
        Path,
        typer.Option(
            "--cards",
            help="Directory of virtual card files (NAME.json); 'demo': the demo cards shipped "
            "with yzt (unless ./demo exists).",
        ),
    ],
    use_pty: Annotated[
        bool, typer.Option("--pty", help="Serve on a new pty; prints its path.")
    ] = False,
    tcp: Annotated[
        int | None, typer.Option("--tcp", help="Serve on this TCP port (0 = any free port).")
    ] = None,
    host: Annotated[str, typer.Option(help="Address for --tcp.")] = "127.0.0.1",
    baud: Annotated[int, typer.Option(help="Baud rate whose wire time is emulated.")] = 115200,
    wire_time: Annotated[
        bool | None,
        typer.Option(
            "--wire-time/--no-wire-time", help="Emulate wire time (default: on for --pty only)."
        ),
    ] = None,
    link: Annotated[
        Path | None, typer.Option(help="With --pty: keep this symlink pointing at the pty.")
    ] = None,
    control: Annotated[
        int | None, typer.Option("--control", help="Also take JSON-line commands on this port.")
    ] = None,
) -> None:
    """Serve virtual cards as a SAM module would, with fault injection."""
    if use_pty == (tcp is not None):
        raise fail("give exactly one of --pty or --tcp PORT")
    try:
        deck = CardDeck.from_dir(cards)
    except DeckError as error:
        raise fail(str(error)) from None
    try:
        asyncio.run(_run(deck, baud, use_pty, tcp, host, wire_time, link, control))
    except OSError as error:
        raise fail(f"cannot serve: {error}", 1) from None


async def _run(
    deck: CardDeck,
    baud: int,
    use_pty: bool,
    tcp: int | None,
    host: str,
    wire_time: bool | None,
    link: Path | None,
    control: int | None,
) -> None:
    sim = SamSimulator(deck, baud=baud)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    if use_pty:
        where = sim.serve_pty(link, wire_time=True if wire_time is None else wire_time)
        uri = f"serial://{where}?baud={baud}"
    else:
        port = await sim.serve_tcp(host, tcp or 0, wire_time=bool(wire_time))
        where, uri = str(port), f"tcp://{host}:{port}"
    servers = [await _serve_control(sim, control, stop)] if control is not None else []
    print(where, flush=True)
    err.print(f"SAM simulator ready · cards: {', '.join(deck.names) or 'none'}")
    err.print(f"next: yzt card read --reader '{uri}'   then type: insert {_first(deck)}")
    err.print(USAGE)
    _read_stdin(loop, sim, stop)
    await stop.wait()
    for server in servers:
        server.close()
    await sim.aclose()


def _first(deck: CardDeck) -> str:
    return deck.names[0] if deck.names else "NAME"


def _read_stdin(loop: asyncio.AbstractEventLoop, sim: SamSimulator, stop: asyncio.Event) -> None:
    """Feed stdin lines to the loop from a daemon thread (stdin may be a tty, pipe or file)."""

    def handle(line: str) -> None:
        if not line.strip():
            return
        try:
            reply = apply(sim, parse_text(line))
        except CommandError as error:
            reply = Reply(False, str(error))
        print(("ok: " if reply.ok else "error: ") + reply.message, flush=True)
        if reply.quit:
            stop.set()

    def pump() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(handle, line)

    threading.Thread(target=pump, name="sim-stdin", daemon=True).start()


async def _serve_control(sim: SamSimulator, port: int, stop: asyncio.Event) -> asyncio.Server:
    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while line := await reader.readline():
                reply = _json_reply(sim, line)
                writer.write(json.dumps(reply.as_json(sim), ensure_ascii=False).encode() + b"\n")
                await writer.drain()
                if reply.quit:
                    stop.set()
        writer.close()

    server = await asyncio.start_server(client, "127.0.0.1", port)
    bound = server.sockets[0].getsockname()[1]
    err.print(f'control: JSON lines on 127.0.0.1:{bound}, e.g. {{"cmd": "insert", "card": "NAME"}}')
    return server


def _json_reply(sim: SamSimulator, line: bytes) -> Reply:
    try:
        return apply(sim, parse_json(json.loads(line)))
    except (CommandError, ValueError) as error:
        message = str(error) if isinstance(error, CommandError) else f"not JSON: {error}"
        return Reply(False, message)
