"""Software time per card read over the SAM protocol (DESIGN.md §8: ≤ 5 ms, wire time excluded).

One read is what a reader does for a tap: find, select, read (``30 01``), appended address, then
``parse_record``. It runs against the simulator over loopback TCP with wire-time emulation off, so
the time is software only: our client, our simulator and the kernel's loopback. The baseline is
the same exchanges as a raw socket echo of the same byte counts (no framing, no parsing), measured
in the same run; the wire-time floor is what the same bytes need on a 115200-baud UART.

Run: ``python -m benchmarks.bench_sam_read [--reads N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import time

from rich.console import Console
from rich.progress import Progress, TaskID
from rich.table import Table

from readers.card import CardType, Gender, IdCard, Photo
from readers.idnumber import check_digit
from readers.record import parse_record
from readers.sam.client import SamClient
from readers.sam.frames import Request, encode_request
from readers.simulator import CardDeck, SamSimulator

BUDGET_MS = 5.0
BAUD = 115200
STEPS = ((0x20, 0x01), (0x20, 0x02), (0x30, 0x01), (0x30, 0x03))


def synthetic_card() -> IdCard:
    first17 = "11010119500101001"
    return IdCard(
        card_type=CardType.RESIDENT,
        name="测试老人",
        gender=Gender.MALE,
        birth_date=dt.date(1950, 1, 1),
        id_number=first17 + check_digit(first17),
        valid_from=dt.date(2020, 1, 1),
        valid_until=None,
        ethnicity_code="01",
        ethnicity="汉",
        address="北京市东城区测试街道1号",
        issuer="北京市公安局东城分局",
        photo=Photo(wlt=b"WLf\x00~\x00" + bytes(1018)),
    )


async def sam_reads(sim: SamSimulator, port: int, reads: int, progress: Progress) -> list[float]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    client = SamClient(reader, writer)
    times: list[float] = []
    task = progress.add_task("SAM reads", total=reads)
    for index in range(reads):
        sim.insert("card")
        start = time.perf_counter()
        assert await client.find()
        await client.select()
        payload = await client.read()
        await client.appended_address()
        parse_record(payload, with_fingerprint=False)
        times.append(time.perf_counter() - start)
        advance(progress, task, index)
    writer.close()
    return times


async def echo_reads(sizes: list[tuple[int, int]], reads: int, progress: Progress) -> list[float]:
    """The same request/answer byte counts through a plain echo-style server."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for request_len, answer_len in sizes * reads:
            await reader.readexactly(request_len)
            writer.write(bytes(answer_len))
            await writer.drain()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    times: list[float] = []
    task = progress.add_task("echo baseline", total=reads)
    for index in range(reads):
        start = time.perf_counter()
        for request_len, answer_len in sizes:
            writer.write(bytes(request_len))
            await writer.drain()
            await reader.readexactly(answer_len)
        times.append(time.perf_counter() - start)
        advance(progress, task, index)
    writer.close()
    server.close()
    return times


def advance(progress: Progress, task: TaskID, index: int) -> None:
    """Count a read; redraw only now and then, between timed reads (a redraw holds the GIL
    for milliseconds, which would otherwise land inside the timings)."""
    progress.advance(task)
    if index % 50 == 0:
        progress.refresh()


def exchange_sizes(sim: SamSimulator) -> list[tuple[int, int]]:
    """(request, answer) byte counts of one read, taken from the simulator's own answers."""

    sim.insert("card")
    sizes = []
    for cmd, para in STEPS:
        answer = sim.module.answer(Request(cmd, para)).frame or b""
        sizes.append((len(encode_request(cmd, para)), len(answer)))
    return sizes


async def main(reads: int) -> None:
    console = Console()
    sim = SamSimulator(CardDeck({"card": synthetic_card()}))
    sizes = exchange_sizes(sim)
    port = await sim.serve_tcp("127.0.0.1", 0, wire_time=False)
    with Progress(console=console, transient=True, auto_refresh=False) as progress:
        await sam_reads(sim, port, reads // 10, progress)  # warm-up
        sam = await sam_reads(sim, port, reads, progress)
        echo = await echo_reads(sizes, reads, progress)
    await sim.aclose()
    total_bytes = sum(a + b for a, b in sizes)
    wire_ms = total_bytes * 10 / BAUD * 1000
    table = Table(title=f"SAM read, {reads} reads, loopback TCP, wire-time emulation off")
    for column in ("", "p50 ms", "p95 ms"):
        table.add_column(column, justify="right" if column else "left")
    for label, samples in (("SAM protocol read + parse", sam), ("raw echo, same bytes", echo)):
        table.add_row(label, f"{ms(samples, 50):.3f}", f"{ms(samples, 95):.3f}")
    console.print(table)
    ratio = statistics.median(sam) / statistics.median(echo)
    console.print(
        f"bytes on the wire per read: {total_bytes} → 115200-baud floor {wire_ms:.1f} ms "
        f"(not counted in the budget)\n"
        f"software time per read (p50): {ms(sam, 50):.3f} ms · budget ≤ {BUDGET_MS} ms "
        f"({'within' if ms(sam, 95) <= BUDGET_MS else 'OVER'} at p95) · "
        f"ratio vs raw echo: {ratio:.2f}×"
    )


def ms(samples: list[float], percentile: int) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, len(ordered) * percentile // 100)] * 1000


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=500, help="reads to time (default 500)")
    asyncio.run(main(parser.parse_args().reads))
