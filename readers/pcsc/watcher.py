"""The blocking half of ``pcsc://``: one worker thread waits in ``SCardGetStatusChange``.

The thread sleeps inside pcscd's wait until a card comes or goes, the reader is plugged or
unplugged (the ``\\\\?PnP?\\Notification`` pseudo-reader), stops or starts answering (pcscd
keeps an unplugged serial reader listed, as unavailable) or pcscd stops — no polling. Each
change becomes an event handed to ``emit``. Trouble is reported once as ``ReaderFault`` and
retried with back-off (a new context when pcscd went away); the first success afterwards is
``ReaderRestored``. ``stop`` wakes the wait with ``SCardCancel``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from readers.backoff import Backoff
from readers.events import CardRemoved, ReaderEvent, ReaderFault, ReaderRestored
from readers.pcsc.cardread import CardReadError, NoAnswer, read_card
from readers.pcsc.context import (
    PNP_READER,
    Cancelled,
    CardPulled,
    Context,
    PcscError,
    ReaderGone,
    ReaderState,
    ServiceGone,
)
from readers.pcsc.discovery import READER_SILENT, find_reader, not_found_message
from readers.pcsc.profiles import Profile

log = logging.getLogger("readers.pcsc")

UNAWARE = 0
READER_SEARCH_MS = 10_000
"""While the reader is missing, relist at least this often in case a PnP event was missed."""
PULL_CHECK_MS = 1_000
"""After a failed exchange, how long pcscd gets to notice that the card was taken away."""

PCSCD_GONE = "the PC/SC service (pcscd) is not running or stopped; retrying"
CARD_PULLED = "the card was taken away during the read; put it back"


class Watcher:
    """Watches the first reader whose name contains ``wanted``; call ``run`` in a thread."""

    def __init__(
        self,
        wanted: str,
        profile: Profile,
        emit: Callable[[ReaderEvent], None],
        backoff: Backoff | None = None,
    ) -> None:
        self.wanted = wanted
        self.profile = profile
        self._emit = emit
        self._backoff = backoff or Backoff(initial=0.1, cap=2.0)
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._context: Context | None = None
        self._fault: ReaderFault | None = None
        self._reported = False
        self._handled: int | None = None

    def stop(self) -> None:
        """Ask ``run`` to return; safe from any thread, may be repeated."""
        self._stopping.set()
        with self._lock:
            if self._context is not None:
                self._context.cancel()

    def run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._session()
            except Cancelled:
                continue
            except ServiceGone:
                self._lost(ReaderFault(PCSCD_GONE, code="service_gone"))
            except PcscError as error:
                self._lost(ReaderFault(str(error), code=error.code))
            except Exception as error:  # the worker must outlive any bug; see module docstring
                log.exception("PC/SC watcher failed unexpectedly")
                self._lost(ReaderFault(f"internal reader error ({type(error).__name__})"))
            if self._fault is not None:
                self._stopping.wait(self._backoff.next())

    def _session(self) -> None:
        with Context.establish() as context:
            with self._lock:
                self._context = context
            try:
                while not self._stopping.is_set():
                    self._find_and_watch(context)
            finally:
                with self._lock:
                    self._context = None

    def _find_and_watch(self, context: Context) -> None:
        names = context.list_readers()
        reader = find_reader(names, self.wanted)
        if reader is None:
            self._lost(ReaderFault(not_found_message(self.wanted, names), code="gone"))
            context.wait([(PNP_READER, UNAWARE)], READER_SEARCH_MS)
            return
        try:
            self._watch(context, reader)
        except ReaderGone:
            self._forget_card()

    def _watch(self, context: Context, reader: str) -> None:
        """Handle the reader's changes until pcscd no longer lists it; its first state says
        whether it works (``ReaderRestored`` after a fault) — being listed is not enough."""
        self._handled = None
        states = [(reader, UNAWARE), (PNP_READER, UNAWARE)]
        while not self._stopping.is_set():
            new = context.wait(states)
            if not new:
                continue
            state, pnp = new
            if state.gone or (pnp.changed and reader not in context.list_readers()):
                self._forget_card()
                return
            if state.unavailable:
                self._lost(ReaderFault(f"{reader!r}: {READER_SILENT}; waiting for it", code="gone"))
            else:
                self._on_state(context, state)
            states = [(reader, state.known), (PNP_READER, pnp.known)]

    def _on_state(self, context: Context, state: ReaderState) -> None:
        counter = state.event >> 16
        if not state.present:
            self._forget_card()
            self._alive()
            return
        if self._handled == counter:
            return
        self._forget_card()
        self._handled = counter
        if state.mute:
            self._report(ReaderFault(f"the card on {state.name!r} does not answer"))
            return
        self._read(context, state)

    def _read(self, context: Context, state: ReaderState) -> None:
        try:
            with context.connect(state.name) as card:
                event = read_card(card, state.atr, self.profile)
        except (ServiceGone, ReaderGone):
            raise
        except CardPulled:
            self._report(ReaderFault(CARD_PULLED, code="card_pulled"))
        except (NoAnswer, PcscError) as error:
            pulled = self._card_left(context, state)
            fault = ReaderFault(CARD_PULLED, code="card_pulled") if pulled else None
            self._report(fault or ReaderFault(str(error), code=error.code))
        except CardReadError as error:
            self._report(ReaderFault(str(error), code=error.code))
        else:
            self._alive()
            self._emit(event)
            self._reported = True

    @staticmethod
    def _card_left(context: Context, state: ReaderState) -> bool:
        """Whether the card read in ``state`` is gone (waits briefly for pcscd to notice)."""
        new = context.wait([(state.name, state.known)], PULL_CHECK_MS)
        return bool(new) and (not new[0].present or new[0].event >> 16 != state.event >> 16)

    def _forget_card(self) -> None:
        """The card we reported is no longer there (taken away, or the reader went)."""
        self._handled = None
        if self._reported:
            self._reported = False
            self._emit(CardRemoved())

    def _report(self, fault: ReaderFault) -> None:
        if fault != self._fault:
            self._fault = fault
            self._emit(fault)

    def _lost(self, fault: ReaderFault) -> None:
        self._forget_card()
        self._report(fault)

    def _alive(self) -> None:
        self._backoff.reset()
        if self._fault is not None:
            self._fault = None
            self._emit(ReaderRestored())
