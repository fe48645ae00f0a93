"""Frames of the SAM-module protocol, one-shot and streaming.

Layout (both directions; offsets from the frame's first byte)::

    0..4   AA AA AA 96 69        preamble
    5..6   LEN, big-endian       bytes after LEN, CHK included
    7..    request:  CMD PARA [DATA]
           response: SW1 SW2 SW3 [DATA]
    last   CHK                   XOR of every byte from LEN up to, not including, CHK

A frame is ``7 + LEN`` bytes. The largest the protocol defines is the 2321-byte answer to
``30 10`` with two fingerprints, so a LEN above ``MAX_LEN`` can only be garbage that happened to
follow a preamble, and the decoder resynchronises instead of waiting for bytes that never come.

Recovery in the streaming decoders: bytes before a preamble are skipped; a LEN out of range drops
one byte and searches again; a frame whose CHK does not match is dropped whole (the protocol is
request/response, so the caller retries). Frames split across reads are reassembled.
"""

from __future__ import annotations

import dataclasses
import functools
import operator
from typing import Generic, TypeVar

from readers.errors import ReaderError

PREAMBLE = b"\xaa\xaa\xaa\x96\x69"
HEADER_LEN = 7
MAX_LEN = 4096
REQUEST_MIN_LEN = 3
RESPONSE_MIN_LEN = 4


class FrameError(ReaderError):
    """Bytes that do not form a valid frame; ``offset`` is the byte the message is about."""

    def __init__(self, message: str, *, offset: int) -> None:
        self.offset = offset
        super().__init__(message)


class PreambleError(FrameError):
    """The data does not start with ``AA AA AA 96 69``."""


class FrameLengthError(FrameError):
    """LEN out of range for the frame kind, or bytes left after the frame."""


class TruncatedFrameError(FrameError):
    """Fewer bytes than LEN announces."""


class ChecksumError(FrameError):
    """CHK does not match the XOR of the frame's bytes."""


@dataclasses.dataclass(frozen=True, slots=True)
class Frame:
    """A SAM response: the card's SW1 SW2, the SAM's SW3 (the one that matters) and data."""

    sw1: int
    sw2: int
    sw3: int
    data: bytes = b""

    def encode(self) -> bytes:
        return _wrap(bytes((self.sw1, self.sw2, self.sw3)) + self.data)


@dataclasses.dataclass(frozen=True, slots=True)
class Request:
    """A host command: CMD, PARA and optional data (only ``61 FF nn`` carries any)."""

    cmd: int
    para: int
    data: bytes = b""

    def encode(self) -> bytes:
        return _wrap(bytes((self.cmd, self.para)) + self.data)


def checksum(data: bytes | bytearray | memoryview) -> int:
    """XOR of ``data`` — the CHK byte over LEN and body."""
    return functools.reduce(operator.xor, data, 0)


def encode_request(cmd: int, para: int, data: bytes = b"") -> bytes:
    return Request(cmd, para, data).encode()


def encode_response(sw3: int, data: bytes = b"", *, sw1: int = 0, sw2: int = 0) -> bytes:
    return Frame(sw1, sw2, sw3, data).encode()


def _wrap(body: bytes) -> bytes:
    head = (len(body) + 1).to_bytes(2, "big")
    return PREAMBLE + head + body + bytes((checksum(head + body),))


def _parse_response(body: bytes) -> Frame:
    return Frame(body[0], body[1], body[2], body[3:])


def _parse_request(body: bytes) -> Request:
    return Request(body[0], body[1], body[2:])


def _check_length(length: int, minimum: int, offset: int) -> None:
    if not minimum <= length <= MAX_LEN:
        raise FrameLengthError(
            f"byte {offset + 5}: LEN {length} out of range, expected {minimum}..{MAX_LEN}",
            offset=offset + 5,
        )


def _check_sum(frame: bytes | bytearray, offset: int) -> None:
    want = checksum(memoryview(frame)[5:-1])
    if frame[-1] != want:
        at = offset + len(frame) - 1
        raise ChecksumError(f"byte {at}: checksum {frame[-1]:02X}, expected {want:02X}", offset=at)


def _decode_one(data: bytes, minimum: int) -> bytes:
    """Validate one complete frame and return its body (between LEN and CHK)."""
    if not data.startswith(PREAMBLE) and not PREAMBLE.startswith(data):
        got = data[: len(PREAMBLE)].hex(" ").upper()
        raise PreambleError(f"byte 0: expected preamble AA AA AA 96 69, got {got}", offset=0)
    if len(data) < HEADER_LEN:
        raise TruncatedFrameError(
            f"byte {len(data)}: frame ends inside its header, expected 7 header bytes",
            offset=len(data),
        )
    length = int.from_bytes(data[5:7], "big")
    _check_length(length, minimum, 0)
    total = HEADER_LEN + length
    if len(data) < total:
        raise TruncatedFrameError(
            f"byte {len(data)}: frame truncated, LEN {length} expects {total} bytes, "
            f"got {len(data)}",
            offset=len(data),
        )
    if len(data) > total:
        raise FrameLengthError(
            f"byte {total}: {len(data) - total} bytes after the end of the frame "
            f"(LEN {length} gives {total} bytes)",
            offset=total,
        )
    _check_sum(data, 0)
    return data[HEADER_LEN:-1]


def decode_frame(data: bytes) -> Frame:
    """Decode exactly one response frame; any defect raises a ``FrameError`` subclass."""
    return _parse_response(_decode_one(bytes(data), RESPONSE_MIN_LEN))


def decode_request(data: bytes) -> Request:
    """Decode exactly one request frame (the simulator's side)."""
    return _parse_request(_decode_one(bytes(data), REQUEST_MIN_LEN))


T = TypeVar("T")


class _StreamDecoder(Generic[T]):
    """Reassemble frames from arbitrary chunks; see the module docstring for recovery."""

    _minimum: int

    def __init__(self) -> None:
        self._buf = bytearray()
        self._offset = 0
        self._pending: FrameError | None = None

    def _parse(self, body: bytes) -> T:
        raise NotImplementedError

    def feed(self, data: bytes) -> list[T]:
        """Add bytes; return the frames now complete.

        A defective frame raises its ``FrameError``. If good frames came before it in the same
        call they are returned first and the error is raised by the next ``feed`` (``b""`` is
        fine), so nothing is lost. Nothing else is ever raised.
        """
        self._buf += data
        if self._pending is not None:
            error, self._pending = self._pending, None
            raise error
        frames: list[T] = []
        while True:
            try:
                frame = self._next()
            except FrameError as error:
                if not frames:
                    raise
                self._pending = error
                return frames
            if frame is None:
                return frames
            frames.append(frame)

    def clear(self) -> None:
        """Forget buffered bytes and any pending error (before a retry)."""
        self._offset += len(self._buf)
        self._buf.clear()
        self._pending = None

    def _consume(self, count: int) -> None:
        del self._buf[:count]
        self._offset += count

    def _next(self) -> T | None:
        start = self._buf.find(PREAMBLE)
        if start < 0:
            self._consume(len(self._buf) - _preamble_prefix_len(self._buf))
            return None
        self._consume(start)
        if len(self._buf) < HEADER_LEN:
            return None
        length = int.from_bytes(self._buf[5:7], "big")
        try:
            _check_length(length, self._minimum, self._offset)
        except FrameLengthError:
            self._consume(1)
            raise
        total = HEADER_LEN + length
        if len(self._buf) < total:
            return None
        frame = bytes(self._buf[:total])
        offset = self._offset
        self._consume(total)
        _check_sum(frame, offset)
        return self._parse(frame[HEADER_LEN:-1])


def _preamble_prefix_len(buf: bytearray) -> int:
    """Length of the longest tail of ``buf`` that could begin a preamble."""
    for size in range(min(len(buf), len(PREAMBLE) - 1), 0, -1):
        if buf[-size:] == PREAMBLE[:size]:
            return size
    return 0


class FrameDecoder(_StreamDecoder[Frame]):
    """Streaming decoder of SAM responses (the host's side)."""

    _minimum = RESPONSE_MIN_LEN

    def _parse(self, body: bytes) -> Frame:
        return _parse_response(body)


class RequestDecoder(_StreamDecoder[Request]):
    """Streaming decoder of host requests (the simulator's side)."""

    _minimum = REQUEST_MIN_LEN

    def _parse(self, body: bytes) -> Request:
        return _parse_request(body)
