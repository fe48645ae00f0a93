"""A thin, typed layer over pyscard's ``smartcard.scard`` with PC/SC errors mapped to ours.

Every call blocks; callers run them in a worker thread. Contexts and card handles are released
explicitly (``with`` blocks): left to the garbage collector they warn once pcscd has gone.

Error map (``SCARD_*`` result → exception, ``code`` is the ``ReaderFault`` code)::

    E_NO_SERVICE, E_SERVICE_STOPPED, E_INVALID_HANDLE,
    F_COMM_ERROR (pcscd's socket closed)          → ServiceGone   "service_gone"
    E_UNKNOWN_READER, E_READER_UNAVAILABLE        → ReaderGone    "gone"
    W_REMOVED_CARD, E_NO_SMARTCARD, W_RESET_CARD  → CardPulled    "card_pulled"
    E_CANCELLED                                   → Cancelled     (``cancel`` was called)
    anything else                                 → PcscError     "reader_error"
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator

from smartcard import scard

from readers.errors import ReaderError

PNP_READER = "\\\\?PnP?\\Notification"
INFINITE = 0xFFFFFFFF


class PcscError(ReaderError):
    """A PC/SC call failed; the message is pcsc-lite's text for the result code."""

    code = "reader_error"

    def __init__(self, what: str, hresult: int) -> None:
        self.hresult = hresult
        text = scard.SCardGetErrorMessage(hresult).rstrip(". ")
        super().__init__(f"{what}: {text} (0x{hresult & 0xFFFFFFFF:08X})")


class ServiceGone(PcscError, ConnectionError):
    """pcscd is not running or stopped while we were using it."""

    code = "service_gone"


class ReaderGone(PcscError, ConnectionError):
    """The reader was unplugged."""

    code = "gone"


class CardPulled(PcscError):
    """The card left the reader during the exchange."""

    code = "card_pulled"


class Cancelled(PcscError):
    """A blocking wait was cancelled because the reader is closing."""


_ERRORS: dict[int, type[PcscError]] = {
    scard.SCARD_E_NO_SERVICE: ServiceGone,
    scard.SCARD_E_SERVICE_STOPPED: ServiceGone,
    scard.SCARD_E_INVALID_HANDLE: ServiceGone,
    scard.SCARD_F_COMM_ERROR: ServiceGone,
    scard.SCARD_E_UNKNOWN_READER: ReaderGone,
    scard.SCARD_E_READER_UNAVAILABLE: ReaderGone,
    scard.SCARD_W_REMOVED_CARD: CardPulled,
    scard.SCARD_E_NO_SMARTCARD: CardPulled,
    scard.SCARD_W_RESET_CARD: CardPulled,
    scard.SCARD_E_CANCELLED: Cancelled,
}


def check(what: str, hresult: int) -> None:
    """Raise the mapped error unless ``hresult`` is success."""
    if hresult != scard.SCARD_S_SUCCESS:
        raise _ERRORS.get(hresult, PcscError)(what, hresult)


@dataclasses.dataclass(frozen=True, slots=True)
class ReaderState:
    """One reader's state as ``SCardGetStatusChange`` reports it."""

    name: str
    event: int
    atr: bytes

    @property
    def present(self) -> bool:
        return bool(self.event & scard.SCARD_STATE_PRESENT)

    @property
    def mute(self) -> bool:
        return bool(self.event & scard.SCARD_STATE_MUTE)

    @property
    def gone(self) -> bool:
        """pcscd no longer lists the reader (a USB reader was unplugged)."""
        return bool(self.event & (scard.SCARD_STATE_UNKNOWN | scard.SCARD_STATE_IGNORE))

    @property
    def unavailable(self) -> bool:
        """Listed, but its driver cannot talk to it (a serial reader unplugged, a failed driver).

        pcscd keeps such a reader in the list; the state changes again once it answers."""
        return not self.gone and bool(self.event & scard.SCARD_STATE_UNAVAILABLE)

    @property
    def changed(self) -> bool:
        return bool(self.event & scard.SCARD_STATE_CHANGED)

    @property
    def known(self) -> int:
        """The state to pass back so the next wait blocks until something new happens."""
        return self.event & ~scard.SCARD_STATE_CHANGED


class Card:
    """A connected card handle; ``transmit`` sends one APDU and returns data + SW1 SW2."""

    def __init__(self, handle: int, protocol: int) -> None:
        self.handle = handle
        self.protocol = protocol

    def transmit(self, apdu: bytes) -> bytes:
        hresult, response = scard.SCardTransmit(self.handle, self.protocol, list(apdu))
        check(f"APDU {apdu[:4].hex(' ').upper()}", hresult)
        return bytes(response)

    def disconnect(self) -> None:
        scard.SCardDisconnect(self.handle, scard.SCARD_LEAVE_CARD)


class Context:
    """An established PC/SC context (one connection to pcscd)."""

    def __init__(self, handle: int) -> None:
        self.handle = handle

    @classmethod
    @contextlib.contextmanager
    def establish(cls) -> Iterator[Context]:
        hresult, handle = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        check("cannot reach the PC/SC service (pcscd)", hresult)
        try:
            yield cls(handle)
        finally:
            scard.SCardReleaseContext(handle)

    def list_readers(self) -> list[str]:
        hresult, names = scard.SCardListReaders(self.handle, [])
        if hresult == scard.SCARD_E_NO_READERS_AVAILABLE:
            return []
        check("listing PC/SC readers", hresult)
        return list(names)

    def wait(self, states: list[tuple[str, int]], timeout_ms: int = INFINITE) -> list[ReaderState]:
        """Block until one of ``states`` (name, known state) changes; [] on timeout."""
        hresult, new = scard.SCardGetStatusChange(self.handle, timeout_ms, states)
        if hresult == scard.SCARD_E_TIMEOUT:
            return []
        check("waiting for a PC/SC reader", hresult)
        return [ReaderState(name, event, bytes(atr)) for name, event, atr in new]

    def status(self, reader: str) -> ReaderState:
        """The reader's state right now."""
        states = self.wait([(reader, scard.SCARD_STATE_UNAWARE)], 0)
        return states[0] if states else ReaderState(reader, scard.SCARD_STATE_UNAWARE, b"")

    def cancel(self) -> None:
        """Wake a ``wait`` blocked in another thread (it raises ``Cancelled``)."""
        scard.SCardCancel(self.handle)

    @contextlib.contextmanager
    def connect(self, reader: str) -> Iterator[Card]:
        hresult, handle, protocol = scard.SCardConnect(
            self.handle,
            reader,
            scard.SCARD_SHARE_SHARED,
            scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1,
        )
        check(f"connecting to the card on {reader!r}", hresult)
        card = Card(handle, protocol)
        try:
            yield card
        finally:
            card.disconnect()
