"""The loop every polling backend shares: open, run a session, report trouble, back off, reopen.

A session is an async generator of events that may raise when its device vanishes or goes
silent. The loop turns that into one ``ReaderFault``, waits with capped exponential back-off and
opens again (one fault per outage and kind: a reader that stays gone is not reported again at
every attempt); the first sign of life afterwards becomes ``ReaderRestored``. ``events()`` itself
never raises: even a bug in a session is logged and reported as a fault, so a kiosk daemon
reading it keeps running.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, AsyncIterator

from readers.backoff import Backoff
from readers.errors import ReaderError, ReaderTimeout
from readers.events import ReaderEvent, ReaderFault, ReaderRestored
from readers.sam.client import ConnectionLostError
from readers.sam.status import SamStatusError

log = logging.getLogger("readers")

GONE_ERRORS = (FileNotFoundError, ConnectionError, EOFError, ConnectionLostError)


class Alive(ReaderRestored):
    """Sessions yield this after each good exchange; the loop forwards it only after a fault."""

    __slots__ = ()


def fault_for(error: BaseException) -> ReaderFault:
    """The event for an exception that ended a session."""
    if isinstance(error, SamStatusError):
        return ReaderFault(str(error), code="sam_status")
    if isinstance(error, ReaderTimeout | TimeoutError):
        return ReaderFault(str(error) or "the reader stopped answering", code="timeout")
    if isinstance(error, GONE_ERRORS):
        return ReaderFault(f"reader gone: {error}", code="gone")
    if isinstance(error, ReaderError | OSError):
        return ReaderFault(str(error), code="reader_error")
    log.exception("reader session failed unexpectedly", exc_info=error)
    return ReaderFault(f"internal reader error ({type(error).__name__})", code="reader_error")


class ReopeningReader(abc.ABC):
    """Base of polling backends; subclasses write ``_session`` and ``_release``."""

    def __init__(self, uri: str, *, backoff: Backoff | None = None) -> None:
        self.uri = uri
        self.backoff = backoff or Backoff()
        self._closed = asyncio.Event()
        self._streams: list[EventStream] = []

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    @abc.abstractmethod
    def _session(self) -> AsyncIterator[ReaderEvent]:
        """Open the device and yield events until it fails (raise) or the reader closes."""

    @abc.abstractmethod
    async def _release(self) -> None:
        """Drop whatever the current session holds open; called by ``aclose``."""

    def events(self) -> EventStream:
        """The event stream (call once per reader); it ends after ``aclose()``."""
        stream = EventStream(self._run())
        self._streams.append(stream)
        return stream

    async def _run(self) -> AsyncGenerator[ReaderEvent, None]:
        last_fault: ReaderFault | None = None
        while not self.closed:
            try:
                async for event in self._session():
                    if isinstance(event, Alive):
                        self.backoff.reset()
                        if last_fault is None:
                            continue
                        event = ReaderRestored()
                    last_fault = event if isinstance(event, ReaderFault) else last_fault
                    if isinstance(event, ReaderRestored):
                        last_fault = None
                    yield event
            except Exception as error:  # the stream never raises; see the module docstring
                if self.closed:
                    return
                fault = fault_for(error)
                if last_fault is None or fault.code != last_fault.code:
                    yield fault
                last_fault = fault
            await self.sleep(self.backoff.next() if last_fault else 0)

    async def sleep(self, seconds: float) -> None:
        """Sleep, but wake at once when the reader is closed."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closed.wait(), seconds)

    async def aclose(self) -> None:
        self._closed.set()
        await self._release()
        for stream in self._streams:
            await stream.finish()


class EventStream:
    """Events pumped from the reader's loop by a task into a queue.

    A consumer that gives up waiting (``wait_for(anext(stream), t)``) cancels only its own wait,
    never the polling — cancelling an async generator mid-step would end it for good.
    """

    def __init__(self, source: AsyncGenerator[ReaderEvent, None]) -> None:
        self._source = source
        self._queue: asyncio.Queue[ReaderEvent | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> ReaderEvent:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._pump())
        event = await self._queue.get()
        if event is None:
            self._queue.put_nowait(None)
            raise StopAsyncIteration
        return event

    async def _pump(self) -> None:
        try:
            async with contextlib.aclosing(self._source) as source:
                async for event in source:
                    self._queue.put_nowait(event)
        finally:
            self._queue.put_nowait(None)

    async def finish(self, timeout: float = 2.0) -> None:
        """Wait for the pump to end after the reader closed; cancel it if it hangs."""
        if self._task is None:
            return
        with contextlib.suppress(TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(asyncio.shield(self._task), timeout)
        if not self._task.done():
            self._task.cancel()

    async def aclose(self) -> None:
        """Stop pumping now (the reader stays open; use ``reader.aclose()`` to close it)."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
