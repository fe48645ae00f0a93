"""Polling a SAM module over any byte pipe: the part the serial and TCP backends share.

Each poll (every ``poll_ms``, 100 ms by default) sends find (``20 01``):

- ``9F`` — a card that has not been read is in the field: select, read (``30 01``, or ``30 10``
  with ``fingerprint=1``), read the appended address (``30 03``) and report ``CardPresent``. If a
  card was already reported, this is a new tap, so ``CardRemoved`` comes first.
- ``80`` — no card, *or the card just read is still there*: a SAM answers ``80`` to find until
  the card leaves the field and comes back. So while a card is reported present, each ``80`` is
  followed by select (``20 02``): ``90`` means it is still in the field, ``81`` means it is gone
  and ``CardRemoved`` is reported. A SAM that refused select after a read would make the card look
  removed right after it was read; it would not be read twice, because find keeps answering ``80``.

A card taken away between select and read makes the read fail (SW3 ``41``): that is
``ReaderFault(code="card_pulled")`` and polling goes on, so the next card reads. Any other SAM
status on a card is ``ReaderFault(code="sam_status")``. Timeouts, closed pipes and damaged frames
end the session; ``ReopeningReader`` reconnects with back-off.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

from readers.backends.base import Alive, ReopeningReader
from readers.backends.uri import ReaderURI, bounded_float, bounded_int, flag
from readers.backoff import Backoff
from readers.errors import CardDataError
from readers.events import CardPresent, CardRemoved, CardUnreadable, ReaderEvent, ReaderFault
from readers.record import parse_appended_address, parse_record
from readers.sam.client import SamClient, SamTimeouts
from readers.sam.status import ReadFailedError, SamStatusError, SelectFailedError

SAM_OPTIONS = {
    "poll_ms": bounded_int(10, 2000),
    "find_timeout": bounded_float(0.05, 10),
    "read_timeout": bounded_float(0.1, 30),
    "backoff_max": bounded_float(0.1, 300),
    "fingerprint": flag,
    "address": flag,
}


@dataclasses.dataclass(frozen=True, slots=True)
class SamOptions:
    """What a SAM reader URI can set (every key optional)."""

    poll_ms: int = 100
    find_timeout: float = 0.5
    read_timeout: float = 3.5
    backoff_max: float = 5.0
    fingerprint: bool = False
    address: bool = True

    @classmethod
    def from_uri(cls, uri: ReaderURI, extra: dict[str, Any]) -> tuple[SamOptions, dict[str, Any]]:
        """Split the URI's options into ours and the backend's own (``extra`` converters)."""
        values = uri.options({**SAM_OPTIONS, **extra})
        own = {key: values.pop(key) for key in list(values) if key in SAM_OPTIONS}
        return cls(**own), values

    @property
    def timeouts(self) -> SamTimeouts:
        step = self.find_timeout
        return SamTimeouts(find=step, select=step, read=self.read_timeout, command=step)


class SamReader(ReopeningReader):
    """A reader speaking SAM frames; subclasses say how to open the pipe."""

    def __init__(self, uri: str, options: SamOptions) -> None:
        super().__init__(uri, backoff=Backoff(cap=options.backoff_max))
        self.options = options
        self._writer: asyncio.StreamWriter | None = None
        # A card was reported and not yet removed. Kept across reconnects, so a card held
        # through an outage is neither reported twice nor left without its CardRemoved.
        self._present = False

    @abc.abstractmethod
    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """Open the pipe to the SAM (raise ``OSError``/``ReaderError`` when it is not there)."""

    async def _session(self) -> AsyncIterator[ReaderEvent]:
        reader, writer = await self._connect()
        self._writer = writer
        try:
            client = SamClient(reader, writer, timeouts=self.options.timeouts)
            await client.status()
            async for event in self._poll(client):
                yield event
        finally:
            await self._release()

    async def _release(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def _poll(self, client: SamClient) -> AsyncIterator[ReaderEvent]:
        while not self.closed:
            found = await client.find()
            yield Alive()
            if found:
                if self._present:
                    self._present = False
                    yield CardRemoved()
                event = await self._read_card(client)
                self._present = isinstance(event, CardPresent | CardUnreadable)
                if event is not None:
                    yield event
            elif self._present and not await self._still_there(client):
                self._present = False
                yield CardRemoved()
            await self.sleep(self.options.poll_ms / 1000)

    @staticmethod
    async def _still_there(client: SamClient) -> bool:
        try:
            await client.select()
        except SelectFailedError:
            return False
        return True

    async def _read_card(self, client: SamClient) -> ReaderEvent | None:
        """Select and read the found card; None when it left before select."""
        fingerprint = self.options.fingerprint
        try:
            await client.select()
        except SelectFailedError:
            return None
        try:
            payload = await client.read(with_fingerprint=fingerprint)
            address = await client.appended_address() if self.options.address else None
        except ReadFailedError:
            return ReaderFault(
                "card taken away during the read — place it again (读卡中卡被拿走)",
                code="card_pulled",
            )
        except SamStatusError as error:
            return ReaderFault(str(error), code="sam_status")
        return _card_event(payload, address, fingerprint)


def _card_event(payload: bytes, address: bytes | None, fingerprint: bool) -> ReaderEvent:
    try:
        card = parse_record(payload, with_fingerprint=fingerprint)
        if address is not None:
            appended = parse_appended_address(address)
            card = dataclasses.replace(card, appended_address=appended or None)
    except CardDataError as error:
        return CardUnreadable(reason="card_data", message=str(error), field=error.field)
    return CardPresent(card)
