"""PC/SC through a private pcscd + vpcd: insert → IdCard latency, and APDU round trip.

The APDU round trip through pyscard → pcscd → vpcd → virtual card is compared with a raw TCP
round trip of the same bytes to an echo peer in the same run. Printed, not asserted.
Run: ``.venv/bin/python -m benchmarks.bench_pcsc [--cards N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from rich.console import Console
from rich.progress import track

sys.path[:0] = [str(Path(__file__).resolve().parent.parent / "tests" / "readers"),
                str(Path(__file__).resolve().parent.parent / "tests")]  # fmt: skip

from cardfactory import make_card  # noqa: E402
from pcscd import PrivatePcscd, free_port_pair, missing_parts  # noqa: E402
from vpcd_card import VirtualCard  # noqa: E402

from readers.events import CardPresent, CardRemoved  # noqa: E402
from readers.record import encode_record  # noqa: E402

APDU = bytes.fromhex("FFB0000000")


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


async def insert_latency(daemon: PrivatePcscd, cards: int) -> list[float]:
    from readers.backends.pcsc import PcscReader

    record = encode_record(make_card(), with_fingerprint=False)
    reader = PcscReader(f"pcsc://{daemon.reader_names[0]}")
    events = reader.events()
    times = []
    for _ in track(range(cards), description="insert → IdCard"):
        card = VirtualCard.sam_record(record)
        start = time.perf_counter()
        card.insert(daemon.port)
        assert isinstance(await anext(events), CardPresent)
        times.append((time.perf_counter() - start) * 1000)
        card.remove()
        assert isinstance(await anext(events), CardRemoved)
    await reader.aclose()
    return times


def apdu_round_trip(daemon: PrivatePcscd, count: int) -> list[float]:
    from readers.pcsc.context import Context

    card = VirtualCard.sam_record(bytes(1284))
    card.insert(daemon.port)
    with Context.establish() as context:
        while not context.status(daemon.reader_names[0]).present:
            context.wait([(daemon.reader_names[0], 0)], 500)
        with context.connect(daemon.reader_names[0]) as connected:
            times = []
            for _ in range(count):
                start = time.perf_counter()
                connected.transmit(APDU)
                times.append((time.perf_counter() - start) * 1e6)
    card.remove()
    return times


def tcp_round_trip(count: int) -> list[float]:
    server = socket.create_server(("127.0.0.1", 0))
    reply = bytes(258)

    def echo() -> None:
        conn, _ = server.accept()
        with conn:
            while conn.recv(64):
                conn.sendall(reply)

    threading.Thread(target=echo, daemon=True).start()
    client = socket.create_connection(server.getsockname())
    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    times = []
    for _ in range(count):
        start = time.perf_counter()
        client.sendall(APDU)
        got = 0
        while got < len(reply):
            got += len(client.recv(4096))
        times.append((time.perf_counter() - start) * 1e6)
    client.close()
    server.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cards", type=int, default=20)
    parser.add_argument("--apdus", type=int, default=500)
    args = parser.parse_args()
    console = Console()
    problem = missing_parts()
    if problem:
        console.print(f"[yellow]skipped: {problem}[/]")
        return
    daemon = PrivatePcscd(Path(tempfile.mkdtemp(prefix="bench-pcsc-")), port=free_port_pair())
    os.environ["PCSCLITE_CSOCK_NAME"] = str(daemon.socket_path)
    daemon.start()
    try:
        time.sleep(0.2)
        inserts = asyncio.run(insert_latency(daemon, args.cards))
        apdu = apdu_round_trip(daemon, args.apdus)
        tcp = tcp_round_trip(args.apdus)
    finally:
        daemon.stop()
    console.print(
        f"insert → IdCard: p50 {percentile(inserts, 50):.0f} ms, p95 {percentile(inserts, 95):.0f}"
        " ms (pcscd polls vpcd about every 400 ms)"
    )
    ratio = statistics.median(apdu) / statistics.median(tcp)
    console.print(
        f"APDU round trip: median {statistics.median(apdu):.0f} µs via pcscd vs "
        f"{statistics.median(tcp):.0f} µs raw TCP (×{ratio:.1f})"
    )


if __name__ == "__main__":
    main()
