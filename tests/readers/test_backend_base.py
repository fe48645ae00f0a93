"""The reopen loop: capped back-off, one fault per outage, and a stream that never raises."""

from __future__ import annotations

from collections.abc import AsyncIterator

from sam_helpers import EventTap

from readers.backends.base import Alive, ReopeningReader
from readers.backoff import Backoff
from readers.events import CardRemoved, ReaderEvent, ReaderFault, ReaderRestored


class Scripted(ReopeningReader):
    """Sessions that fail as scripted: an exception ends one, an event is yielded."""

    def __init__(self, script: list[list[ReaderEvent | Exception]]) -> None:
        super().__init__("test://", backoff=Backoff(initial=0.01, cap=0.02))
        self.script = script
        self.opened = 0

    async def _session(self) -> AsyncIterator[ReaderEvent]:
        self.opened += 1
        steps = self.script.pop(0) if self.script else []
        for step in steps:
            if isinstance(step, Exception):
                raise step
            yield step
        await self.sleep(10)

    async def _release(self) -> None:
        """Nothing held."""


async def test_a_bug_in_a_session_becomes_a_fault_and_the_reader_goes_on() -> None:
    reader = Scripted([[Alive(), RuntimeError("boom")], [Alive(), CardRemoved()]])
    tap = EventTap(reader)
    assert await tap.next() == ReaderFault(
        "internal reader error (RuntimeError)", code="reader_error"
    )
    assert await tap.next() == ReaderRestored()
    assert await tap.next() == CardRemoved()
    await tap.aclose()


async def test_repeated_failures_of_one_kind_are_one_fault() -> None:
    gone = [[FileNotFoundError("/dev/ttyUSB0")] for _ in range(5)]
    reader = Scripted([*gone, [Alive()]])
    tap = EventTap(reader)
    assert await tap.next() == ReaderFault("reader gone: /dev/ttyUSB0", code="gone")
    assert await tap.next() == ReaderRestored()
    assert reader.opened == 6
    await tap.aclose()


async def test_alive_without_a_fault_is_not_an_event() -> None:
    tap = EventTap(Scripted([[Alive(), Alive(), CardRemoved()]]))
    assert await tap.next() == CardRemoved()
    await tap.aclose()
