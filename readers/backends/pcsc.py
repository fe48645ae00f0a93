"""``pcsc://NAME-SUBSTRING[?profile=NAME]`` — readers behind pcscd, on the common event stream.

PC/SC calls block, so a ``Watcher`` runs them in one daemon thread and hands each event to the
asyncio loop that iterates ``events()``; ``aclose`` cancels the thread's wait and joins it.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Callable

from readers.backoff import Backoff
from readers.events import Reader, ReaderEvent
from readers.pcsc.uri import parse_pcsc_uri
from readers.pcsc.watcher import Watcher

JOIN_TIMEOUT_S = 5.0

HandOver = Callable[[ReaderEvent | None], None]


class PcscReader:
    """One ``pcsc://`` reader; a bad URI or profile raises ``ReaderURIError`` here, at once."""

    def __init__(self, uri: str, *, backoff: Backoff | None = None) -> None:
        self.uri = uri
        self.target = parse_pcsc_uri(uri)
        self._backoff = backoff
        self._watcher: Watcher | None = None
        self._thread: threading.Thread | None = None
        self._closed = False

    async def events(self) -> AsyncIterator[ReaderEvent]:
        if self._thread is not None:
            raise RuntimeError(f"{self.uri}: events() is already being iterated")
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[ReaderEvent | None] = asyncio.Queue()

        def hand_over(event: ReaderEvent | None) -> None:
            with contextlib.suppress(RuntimeError):  # the loop is already closed
                loop.call_soon_threadsafe(queue.put_nowait, event)

        watcher = Watcher(self.target.name, self.target.profile, hand_over, self._backoff)
        self._watcher = watcher
        self._thread = threading.Thread(
            target=self._work, args=(watcher, hand_over), name=f"pcsc {self.target.name}"
        )
        self._thread.daemon = True
        if self._closed:
            return
        self._thread.start()
        try:
            while (event := await queue.get()) is not None:
                yield event
        finally:
            watcher.stop()

    @staticmethod
    def _work(watcher: Watcher, hand_over: HandOver) -> None:
        try:
            watcher.run()
        finally:
            hand_over(None)

    async def aclose(self) -> None:
        """Stop the worker and release its PC/SC context; returns once the thread has ended."""
        self._closed = True
        watcher, thread = self._watcher, self._thread
        if watcher is None or thread is None or not thread.is_alive():
            return
        await asyncio.to_thread(self._join, watcher, thread)

    @staticmethod
    def _join(watcher: Watcher, thread: threading.Thread) -> None:
        """Cancel until the thread notices: a cancel sent just before it blocks is lost."""
        for _ in range(int(JOIN_TIMEOUT_S / 0.05)):
            watcher.stop()
            thread.join(0.05)
            if not thread.is_alive():
                return


def open_pcsc_reader(uri: str) -> Reader:
    """The ``pcsc://`` entry point for ``readers.backends.open_reader``."""
    return PcscReader(uri)
