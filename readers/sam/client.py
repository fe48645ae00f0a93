"""An async SAM client over any byte pipe (asyncio streams from TCP, a serial port or a test).

The transaction layer: one request, one response, a timeout per step, and a bounded retry when
a frame arrives damaged (our ``ChecksumError``) or the SAM says ours was (SW3 ``10``). Any other
failure code is raised as its ``SamStatusError``; a pipe that closes or breaks raises
``ConnectionLostError``.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    retry_if_result,
    stop_after_attempt,
)

from readers.errors import ReaderError, ReaderTimeout
from readers.sam.frames import Frame, FrameDecoder, FrameError, encode_request
from readers.sam.status import FIND_OK, SUCCESS, SamChecksumError, status_error

NO_CARD = 0x80
NO_CONTENT = 0x91


class ConnectionLostError(ReaderError):
    """The pipe to the SAM closed or broke (device unplugged, server gone)."""


@dataclasses.dataclass(frozen=True, slots=True)
class SamTimeouts:
    """Seconds to wait for each step; vendor SDKs use 0.5 s for find/select and 2–3.5 s to read."""

    find: float = 0.5
    select: float = 0.5
    read: float = 3.5
    command: float = 0.5


class SamClient:
    """Commands of the SAM module, each one awaited with its own timeout."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        timeouts: SamTimeouts | None = None,
        retries: int = 2,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self.timeouts = timeouts or SamTimeouts()
        self.retries = retries
        self._decoder = FrameDecoder()
        self._ready: collections.deque[Frame] = collections.deque()

    async def reset(self) -> None:
        await self._expect(0x10, 0xFF, "reset SAM", self.timeouts.command, SUCCESS)

    async def status(self) -> None:
        """Raise unless the SAM reports itself healthy (``11 FF`` → 90)."""
        await self._expect(0x11, 0xFF, "SAM status", self.timeouts.command, SUCCESS)

    async def sam_id(self) -> str:
        """The module's ID as printed by vendor tools: ``AA.BB-CCCCCCCC-DDDDDDDDDD-EEEEEEEEEE``."""
        data = await self._expect(0x12, 0xFF, "read SAM ID", self.timeouts.command, SUCCESS)
        if len(data) != 16:
            raise ReaderError(f"read SAM ID: expected 16 data bytes, got {len(data)}")
        a, b = (int.from_bytes(data[i : i + 2], "little") for i in (0, 2))
        c, d, e = (int.from_bytes(data[i : i + 4], "little") for i in (4, 8, 12))
        return f"{a:02d}.{b:02d}-{c:08d}-{d:010d}-{e:010d}"

    async def find(self) -> bool:
        """True when a fresh card is in the field; False on ``80`` (none, or already read)."""
        frame = await self.transact(0x20, 0x01, name="find card", timeout=self.timeouts.find)
        if frame.sw3 == FIND_OK:
            return True
        if frame.sw3 == NO_CARD:
            return False
        raise status_error(frame.sw3, "find card")

    async def select(self) -> bytes:
        """Select the found card; 8 bytes of answer (``81`` raises ``SelectFailedError``)."""
        return await self._expect(0x20, 0x02, "select card", self.timeouts.select, SUCCESS)

    async def read(self, *, with_fingerprint: bool = False) -> bytes:
        """The record: ``30 01`` (text + photo) or ``30 10`` (text + photo + fingerprints)."""
        para = 0x10 if with_fingerprint else 0x01
        return await self._expect(0x30, para, "read card", self.timeouts.read, SUCCESS)

    async def appended_address(self) -> bytes | None:
        """The 70-byte appended address (``30 03``), or None when the card has none (``91``)."""
        frame = await self.transact(
            0x30, 0x03, name="read appended address", timeout=self.timeouts.read
        )
        if frame.sw3 == NO_CONTENT:
            return None
        if frame.sw3 != SUCCESS:
            raise status_error(frame.sw3, "read appended address")
        return frame.data

    async def set_max_rf_bytes(self, count: int) -> None:
        """``61 FF nn``: the most bytes the SAM moves per RF exchange."""
        await self._expect(
            0x61, 0xFF, "set RF bytes", self.timeouts.command, SUCCESS, bytes((count,))
        )

    async def _expect(
        self, cmd: int, para: int, name: str, timeout: float, want: int, data: bytes = b""
    ) -> bytes:
        frame = await self.transact(cmd, para, data, name=name, timeout=timeout)
        if frame.sw3 != want:
            raise status_error(frame.sw3, name)
        return frame.data

    async def transact(
        self, cmd: int, para: int, data: bytes = b"", *, name: str, timeout: float
    ) -> Frame:
        """Send one request and return its response, retrying damaged frames at once; after
        the last retry a damaged answer raises and a "your frame was damaged" one is returned."""
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.retries + 1),
            retry=retry_if_exception_type(FrameError) | retry_if_result(_checksum_refused),
            retry_error_callback=_last_outcome,
        )
        request = encode_request(cmd, para, data)
        frame: Frame = await retrying(self._exchange, request, name, timeout)
        return frame

    async def _exchange(self, request: bytes, name: str, timeout: float) -> Frame:
        """One request and its answer, on a clean decoder."""
        self._decoder.clear()
        self._ready.clear()
        try:
            self._writer.write(request)
            await self._writer.drain()
            return await asyncio.wait_for(self._receive(), timeout)
        except TimeoutError as error:
            raise ReaderTimeout(f"{name}: no answer within {timeout:g} s") from error
        except ReaderError:  # FrameError, ConnectionLostError: already ours
            raise
        except OSError as error:
            detail = f" ({error.strerror})" if error.strerror else ""
            raise ConnectionLostError(f"connection lost during {name}{detail}") from error

    async def _receive(self) -> Frame:
        while not self._ready:
            chunk = await self._reader.read(4096)
            if not chunk:
                raise ConnectionLostError("the reader closed the connection")
            self._ready.extend(self._decoder.feed(chunk))
        return self._ready.popleft()


def _last_outcome(state: RetryCallState) -> Frame:
    """After the last attempt: its answer, or what it raised."""
    assert state.outcome is not None  # tenacity sets it before asking to stop
    frame: Frame = state.outcome.result()
    return frame


def _checksum_refused(frame: Frame) -> bool:
    """The SAM says our request arrived damaged (SW3 ``10``): worth sending again."""
    return frame.sw3 == SamChecksumError.sw3
