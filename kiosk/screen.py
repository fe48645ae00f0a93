"""What the elder's screen shows, as data, and the fan-out that pushes it to open pages.

``ScreenState`` is exactly the ``GET /api/screen`` contract; the page renders nothing else.
Whether the reader works is pushed separately so the contract stays as documented.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Literal

from pydantic import BaseModel

from kiosk.verdict import Source, Verdict

State = Literal["idle", "reading", "result"]


class ScreenState(BaseModel):
    state: State = "idle"
    verdict: Verdict | None = None
    reasons: list[str] = []
    name: str | None = None
    source: Source | None = None
    data_age_s: float | None = None


class ReaderState(BaseModel):
    ok: bool = True


IDLE = ScreenState()
READING = ScreenState(state="reading")

Update = ScreenState | ReaderState


class Screen:
    """Holds the current screen and reader state; every subscriber gets each change."""

    def __init__(self) -> None:
        self.current: ScreenState = IDLE
        self.reader = ReaderState()
        self._subscribers: set[asyncio.Queue[Update]] = set()
        self._idle_task: asyncio.Task[None] | None = None

    def show(self, state: ScreenState, *, idle_after_s: float | None = None) -> None:
        """Show ``state`` now; go back to idle by itself after ``idle_after_s`` if given."""
        self.current = state
        self._publish(state)
        self._cancel_idle()
        if idle_after_s is not None:
            self.idle_after(idle_after_s)

    def idle_after(self, seconds: float) -> None:
        """Return to idle after ``seconds`` (replaces any earlier timer)."""
        if self.current.state == "idle":
            return
        self._cancel_idle()
        self._idle_task = asyncio.get_running_loop().create_task(self._idle_later(seconds))

    def set_reader_ok(self, ok: bool) -> None:
        if self.reader.ok != ok:
            self.reader = ReaderState(ok=ok)
            self._publish(self.reader)

    async def updates(self) -> AsyncIterator[Update]:
        """The current state, then every change, until the consumer stops."""
        queue: asyncio.Queue[Update] = asyncio.Queue(maxsize=64)
        self._subscribers.add(queue)
        try:
            yield self.reader
            yield self.current
            while True:
                yield await queue.get()
        finally:
            self._subscribers.discard(queue)

    def _publish(self, update: Update) -> None:
        for queue in list(self._subscribers):
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(update)

    async def _idle_later(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        self._idle_task = None
        self.current = IDLE
        self._publish(IDLE)

    def _cancel_idle(self) -> None:
        if self._idle_task is not None:
            self._idle_task.cancel()
            self._idle_task = None
