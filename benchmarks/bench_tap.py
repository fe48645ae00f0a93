"""Card detected → verdict on screen, p50/p95, against DESIGN.md §8 (p95 ≤ 150 ms online).

Runs the demo stack (real verifier subprocess on loopback, SAM simulator on TCP, kiosk
in-process), taps demo cards and watches the kiosk's SSE stream like the screen does. "Detected"
is when the reader backend hands the kiosk its ``CardPresent``; the time the simulated SAM needs
to find and send the card (poll interval, 115200-baud wire time) is shown separately. Baseline in
the same run: a bare ``GET /healthz`` round trip to the same verifier.

    .venv/bin/python benchmarks/bench_tap.py [--taps 60]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from kiosk.demo.run import DemoStack
from readers import CardPresent, Reader, ReaderEvent, open_reader

BUDGET_ONLINE_MS = 150.0
BUDGET_OFFLINE_MS = 50.0
CARDS = ("green", "elder", "yellow", "red", "hkmt", "foreigner-2023")

console = Console(width=110)


class StampedReader:
    """A real reader whose ``CardPresent`` events are timestamped as the kiosk receives them."""

    def __init__(self, inner: Reader) -> None:
        self.inner = inner
        self.uri = inner.uri
        self.detected: asyncio.Queue[float] = asyncio.Queue()

    async def events(self) -> AsyncIterator[ReaderEvent]:
        async for event in self.inner.events():
            if isinstance(event, CardPresent):
                self.detected.put_nowait(time.perf_counter())
            yield event

    async def aclose(self) -> None:
        await self.inner.aclose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def screen_results(url: str, queue: asyncio.Queue[tuple[float, dict[str, Any]]]) -> None:
    """Follow the SSE stream; queue each result screen with its arrival time."""
    async with (
        httpx.AsyncClient(timeout=None) as client,
        client.stream("GET", f"{url}api/screen/events") as response,
    ):
        event = ""
        async for line in response.aiter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event == "screen":
                screen = json.loads(line.split(":", 1)[1])
                if screen["state"] == "result":
                    queue.put_nowait((time.perf_counter(), screen))


async def taps(
    stack: DemoStack,
    reader: StampedReader,
    results: asyncio.Queue[tuple[float, dict[str, Any]]],
    count: int,
    label: str,
) -> tuple[list[float], list[float]]:
    """``count`` taps; (detected→screen ms, insert→screen ms) for each."""
    assert stack.simulator is not None
    detect_ms: list[float] = []
    insert_ms: list[float] = []
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(label, total=count)
        for n in range(count):
            for queue in (results, reader.detected):
                while not queue.empty():
                    queue.get_nowait()
            inserted = time.perf_counter()
            stack.simulator.insert(CARDS[n % len(CARDS)])
            detected = await asyncio.wait_for(reader.detected.get(), 5)
            shown, _ = await asyncio.wait_for(results.get(), 5)
            detect_ms.append((shown - detected) * 1000)
            insert_ms.append((shown - inserted) * 1000)
            stack.simulator.remove()
            await asyncio.sleep(0.25)
            progress.advance(task)
    return detect_ms, insert_ms


async def healthz(url: str, count: int) -> list[float]:
    times: list[float] = []
    async with httpx.AsyncClient() as client:
        for _ in range(count):
            started = time.perf_counter()
            (await client.get(f"{url}/healthz")).raise_for_status()
            times.append((time.perf_counter() - started) * 1000)
    return times


async def run(count: int) -> None:
    with tempfile.TemporaryDirectory(prefix="yzt-bench-") as data:
        stack = DemoStack(Path(data), kiosk_port=0, verifier_port=free_port(), people=200)
        stamped: list[StampedReader] = []

        def factory(uri: str) -> Reader:
            stamped.append(StampedReader(open_reader(uri)))
            return stamped[-1]

        stack.reader_factory = factory
        with console.status("starting verifier, simulator and kiosk…"):
            await stack.start()
        assert stack.kiosk is not None and stack.verifier is not None
        results: asyncio.Queue[tuple[float, dict[str, Any]]] = asyncio.Queue()
        follower = asyncio.create_task(screen_results(stack.kiosk.screen_url, results))
        try:
            await asyncio.sleep(0.5)
            baseline = await healthz(stack.verifier_url, count * 2)
            online, online_insert = await taps(stack, stamped[-1], results, count, "online taps")
            stack.verifier.terminate()
            await stack.verifier.wait()
            offline, _ = await taps(stack, stamped[-1], results, count // 2, "verifier down")
        finally:
            follower.cancel()
            await stack.aclose()
    report(baseline, online, online_insert, offline)


def report(
    baseline: list[float], online: list[float], insert: list[float], offline: list[float]
) -> None:
    table = Table(title="tap → verdict on screen (ms)")
    for column in ("what", "n", "p50", "p95", "budget p95", "p50 / baseline p50"):
        table.add_column(column, justify="right" if column != "what" else "left")
    base50 = statistics.median(baseline)
    rows = [
        ("baseline: verifier GET /healthz", baseline, None),
        ("online: detected → screen", online, BUDGET_ONLINE_MS),
        ("online: simulator insert → screen", insert, None),
        ("verifier down: detected → CHECK", offline, BUDGET_OFFLINE_MS),
    ]
    for name, values, budget in rows:
        p95 = pct(values, 0.95)
        verdict = "" if budget is None else f"{budget:.0f} {'ok' if p95 <= budget else 'OVER'}"
        table.add_row(
            name,
            str(len(values)),
            f"{pct(values, 0.5):.1f}",
            f"{p95:.1f}",
            verdict,
            f"{statistics.median(values) / base50:.1f}×",
        )
    console.print(table)
    console.print(
        "Offline, the demo kiosk has no risk-list key, so its answer is CHECK 'could not verify'; "
        "the same path runs the cache and risk-list lookups when a key is configured."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taps", type=int, default=60, help="online taps (offline: half)")
    asyncio.run(run(parser.parse_args().taps))


if __name__ == "__main__":
    main()
