"""A virtual contactless card for pcscd's vsmartcard-vpcd driver, in plain Python.

The card is the TCP client; the vpcd driver inside pcscd listens on one port per slot.
Connecting is inserting the card, closing is removing it. Every message, both ways, is a 2-byte
big-endian length and a payload:

    payload length 1:  00 power off · 01 power on · 02 reset   (no reply)
                       04 get ATR → the ATR (an empty reply would mean "no card")
    longer:            a command APDU → the response APDU (data + SW1 SW2)

vpcd writes the length and the payload separately, so without ``TCP_QUICKACK`` before each
``recv`` every APDU waits ~40 ms for a delayed ACK.

Two card kinds are emulated — a reader with an integrated SAM that exposes the decoded record
(``FF B0 P1 00 00``, 256-byte pages) and a plain reader that can only give the chip serial
(``00 36 00 00 08``) — plus the faults a real reader shows (``Faults``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import socket
import struct
import threading
import time
from collections.abc import Callable

SW_OK = b"\x90\x00"
SW_NOT_SUPPORTED = b"\x6d\x00"
PAGE_SIZE = 256

Responder = Callable[[bytes], bytes]


@dataclasses.dataclass(frozen=True)
class Faults:
    """What goes wrong on this card; the defaults make a well-behaved card."""

    pull_at_apdu: int | None = None
    """Drop the connection (the card is pulled) on receiving this APDU, counted from 0."""
    status_word: bytes | None = None
    """Answer every APDU with only this status word, e.g. ``6A 82``."""
    short_page: int | None = None
    """Return this record page with 100 bytes instead of a full page."""
    delay_s: float = 0.0
    """Wait this long before every APDU answer (a slow reader)."""


def _with_tck(atr: bytes) -> bytes:
    """Append the ATR check byte (XOR of T0 … last historical byte), needed when T≠0 is offered."""
    tck = 0
    for byte in atr[1:]:
        tck ^= byte
    return atr + bytes([tck])


def sam_record_atr(status: bytes = SW_OK) -> bytes:
    """15-byte ATR (T=0, 13 historical bytes) with the SAM's read status at bytes 13–14."""
    historical = b"YZT-SAM-REC" + status
    return b"\x3b\x0d" + historical


def serial_only_atr() -> bytes:
    """PC/SC part 3 ATR of an ISO 14443 Type B card as a plain contactless reader shows it."""
    return _with_tck(b"\x3b\x88\x80\x01" + b"\x00\x00\x00\x00\x33\x81\x81\x00")


def record_responder(record: bytes, faults: Faults = Faults()) -> Responder:
    """Answers ``FF B0 P1 00 00`` with page P1 of ``record`` (the last page holds the rest)."""

    def respond(apdu: bytes) -> bytes:
        if len(apdu) != 5 or apdu[:2] != b"\xff\xb0" or apdu[3:] != b"\x00\x00":
            return SW_NOT_SUPPORTED
        page = apdu[2]
        data = record[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
        if not data:
            return b"\x6b\x00"
        if page == faults.short_page:
            data = data[:100]
        return data + SW_OK

    return respond


def uid_responder(card_uid: bytes) -> Responder:
    """Answers ``00 36 00 00 08`` with the 8-byte chip serial, as every ID card chip does."""

    def respond(apdu: bytes) -> bytes:
        if apdu == b"\x00\x36\x00\x00\x08":
            return card_uid + SW_OK
        return SW_NOT_SUPPORTED

    return respond


class VirtualCard:
    """One card that can be put on (``insert``) and taken off (``remove``) a vpcd slot."""

    def __init__(self, atr: bytes, respond: Responder, faults: Faults = Faults()) -> None:
        self.atr = atr
        self.respond = respond
        self.faults = faults
        self.apdus: list[bytes] = []
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None

    @classmethod
    def sam_record(
        cls, record: bytes, faults: Faults = Faults(), *, atr_status: bytes = SW_OK
    ) -> VirtualCard:
        return cls(sam_record_atr(atr_status), record_responder(record, faults), faults)

    @classmethod
    def serial_only(cls, card_uid: bytes, faults: Faults = Faults()) -> VirtualCard:
        return cls(serial_only_atr(), uid_responder(card_uid), faults)

    def insert(self, port: int, *, host: str = "127.0.0.1", timeout: float = 30.0) -> None:
        """Connect to the vpcd slot; retried because pcscd may still be loading its driver (slow
        when the machine is busy: a socket-activated pcscd opens the slot only then)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                sock = socket.create_connection((host, port), timeout=1.0)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        sock.settimeout(None)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = sock
        self._thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
        self._thread.start()

    def remove(self) -> None:
        """Take the card away: close the connection and wait for the serving thread."""
        sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def inserted(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _serve(self, sock: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while (message := _recv_message(sock)) is not None:
                reply = self._answer(message)
                if reply is None and len(message) > 1:
                    break
                if reply is not None:
                    sock.sendall(struct.pack(">H", len(reply)) + reply)
        if self._sock is sock:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def _answer(self, message: bytes) -> bytes | None:
        """The reply to one message; None for control messages and for a pulled card."""
        if len(message) == 1:
            return self.atr if message == b"\x04" else None
        index = len(self.apdus)
        self.apdus.append(message)
        if self.faults.pull_at_apdu == index:
            return None
        if self.faults.delay_s:
            time.sleep(self.faults.delay_s)
        if self.faults.status_word is not None:
            return self.faults.status_word
        return self.respond(message)


def _recv_exact(sock: socket.socket, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        chunk = sock.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _recv_message(sock: socket.socket) -> bytes | None:
    header = _recv_exact(sock, 2)
    if header is None:
        return None
    return _recv_exact(sock, struct.unpack(">H", header)[0])
