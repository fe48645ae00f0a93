"""Helpers shared by the SAM backend, simulator and CLI tests: event taps and card decks."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from pathlib import Path

from readers.backends.base import ReopeningReader
from readers.cardjson import card_to_file_json
from readers.events import ReaderEvent

WAIT = 5.0


class EventTap:
    """Pull a reader's events one at a time, each with a generous deadline."""

    def __init__(self, reader: ReopeningReader) -> None:
        self.reader = reader
        self._stream = reader.events()

    async def next(self, timeout: float = WAIT) -> ReaderEvent:
        return await asyncio.wait_for(anext(self._stream), timeout)

    async def until(self, kind: type, timeout: float = WAIT) -> list[ReaderEvent]:
        """Events up to and including the first ``kind``."""
        seen: list[ReaderEvent] = []
        async with asyncio.timeout(timeout):
            while not seen or not isinstance(seen[-1], kind):
                seen.append(await anext(self._stream))
        return seen

    async def quiet(self, seconds: float) -> list[ReaderEvent]:
        """Everything that arrives within ``seconds`` (used to show nothing happens)."""
        seen: list[ReaderEvent] = []
        try:
            async with asyncio.timeout(seconds):
                while True:
                    seen.append(await anext(self._stream))
        except TimeoutError:
            return seen

    async def aclose(self) -> None:
        await self.reader.aclose()
        await self._stream.aclose()


def write_deck(directory: Path, **cards: object) -> Path:
    """Write virtual card files ``NAME.json`` (``card_to_file_json`` of each card)."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, card in cards.items():
        text = json.dumps(card_to_file_json(card), ensure_ascii=False)
        (directory / f"{name}.json").write_text(text, encoding="utf-8")
    return directory


YZT = str(Path(sys.executable).with_name("yzt"))


class SimProcess:
    """``yzt sim sam`` in a subprocess: its first stdout line, stdin commands, clean shutdown."""

    def __init__(self, cards: Path, *args: str) -> None:
        self.process = subprocess.Popen(
            [YZT, "sim", "sam", "--cards", str(cards), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.where = self.process.stdout.readline().strip()
        if not self.where:
            raise AssertionError(f"simulator did not start: {self.process.stderr.read()}")

    def send(self, line: str) -> str:
        """Type a command; return the simulator's reply line."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        return self.process.stdout.readline().strip()

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=5)
        finally:
            for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
                if stream is not None:
                    stream.close()
