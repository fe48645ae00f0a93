"""The camera loop: the newest frame, at most ``scan_fps`` times a second while the kiosk is
idle, decoded in a worker thread (about 1 ms a frame, docs/qr.md), each new code handed on.

A code is new unless it was seen less than ``repeat_after_s`` ago, measured from its last
sighting: a card held up for a minute is one tap, the same card shown again after a pause of
``repeat_after_s`` is another, and a different card is handled at once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from kiosk.face.camera import Frame
from kiosk.periodic import every
from readers.qr import read_codes


class FrameSource(Protocol):
    """What the scanner needs of ``kiosk.face.camera.Camera``."""

    def latest_frame(self) -> Frame | None: ...


class Debouncer:
    """Tells a new code from one still being held up."""

    def __init__(self, repeat_after_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.repeat_after_s = repeat_after_s
        self._clock = clock
        self._last_seen: dict[str, float] = {}

    def is_new(self, text: str) -> bool:
        """Whether ``text`` starts a tap; every call counts as a sighting."""
        now = self._clock()
        last = self._last_seen.get(text)
        self._last_seen = {
            code: at for code, at in self._last_seen.items() if now - at < self.repeat_after_s
        }
        self._last_seen[text] = now
        return last is None or now - last >= self.repeat_after_s


class QrScanner:
    """Scans ``camera`` and awaits ``on_code`` for each new code (scanning waits meanwhile);
    ``on_frame`` is called after each decoded frame (the kiosk counts them in its metrics)."""

    def __init__(
        self,
        camera: FrameSource,
        *,
        scan_fps: float,
        repeat_after_s: float,
        on_code: Callable[[str], Awaitable[None]],
        idle: Callable[[], bool],
        on_frame: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.camera = camera
        self.period_s = 1 / scan_fps
        self.debouncer = Debouncer(repeat_after_s, clock)
        self.on_code = on_code
        self.idle = idle
        self.on_frame = on_frame
        self.frames = 0
        self.sightings = 0
        self.taps = 0
        self._seen = 0

    async def run(self) -> None:
        """Scan for ever (the daemon supervises and cancels it)."""
        self._seen = 0
        await every(self.period_s, self._scan_newest)

    async def _scan_newest(self) -> None:
        frame = self.camera.latest_frame()
        if frame is not None and frame.seq != self._seen and self.idle():
            self._seen = frame.seq
            await self.scan(frame)

    async def scan(self, frame: Frame) -> None:
        """Decode one frame and hand on the codes in it that are new."""
        codes = await asyncio.to_thread(read_codes, frame.image)
        self.frames += 1
        self.on_frame()
        for text in codes:
            self.sightings += 1
            if self.debouncer.is_new(text):
                self.taps += 1
                await self.on_code(text)
