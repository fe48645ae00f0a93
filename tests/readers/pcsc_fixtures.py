"""Fixtures for PC/SC tests: one private pcscd per session, virtual cards, open readers.

Registered for every test package by tests/conftest.py (``pytest_plugins``); tests/readers is on
pytest's ``pythonpath``, so test modules import its helpers by name. libpcsclite reads
``PCSCLITE_CSOCK_NAME`` once per process, so every test shares one daemon socket path; tests that
stop or rename the daemon get it back running and named as before by the ``pcscd`` fixture.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from conftest import in_ci
from pcscd import VPCD_DRIVER, PrivatePcscd, build_unplug_driver, free_port_pair, missing_parts
from vpcd_card import VirtualCard

from readers.events import Reader, ReaderEvent

DAEMON_NAME = "Yzt Virtual PCD"
SOCKET_ENV = "PCSCLITE_CSOCK_NAME"
EVENT_TIMEOUT_S = 15.0


def wait_until_ready(daemon: PrivatePcscd, timeout: float = 10.0) -> None:
    """Block until pcscd accepts a context and lists its two vpcd slots."""
    from smartcard import scard

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hresult == scard.SCARD_S_SUCCESS:
            hresult, names = scard.SCardListReaders(context, [])
            scard.SCardReleaseContext(context)
            if hresult == scard.SCARD_S_SUCCESS and len(names) == 2:
                return
        time.sleep(0.02)
    raise RuntimeError(f"private pcscd did not come up; its log:\n{daemon.log()[-2000:]}")


@contextlib.contextmanager
def socket_name_for_this_process(daemon: PrivatePcscd) -> Iterator[None]:
    """Point this process's libpcsclite at ``daemon`` without leaking the setting to children.

    libpcsclite reads ``PCSCLITE_CSOCK_NAME`` at its first call and keeps it, so the variable is
    needed only until then. Left set, every later subprocess of any test would inherit it; those
    meant for the test daemon are given ``daemon.client_env()`` instead."""
    before = os.environ.get(SOCKET_ENV)
    os.environ[SOCKET_ENV] = str(daemon.socket_path)
    try:
        yield
    finally:
        if before is None:
            del os.environ[SOCKET_ENV]
        else:
            os.environ[SOCKET_ENV] = before


@pytest.fixture(scope="session")
def pcscd_daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivatePcscd]:
    problem = missing_parts()
    if problem:
        if in_ci():
            pytest.fail(f"PC/SC tests must run in CI: {problem}")
        pytest.skip(f"PC/SC tests skipped: {problem}")
    daemon = PrivatePcscd(tmp_path_factory.mktemp("pcscd"), name=DAEMON_NAME, port=free_port_pair())
    with socket_name_for_this_process(daemon):
        daemon.start()
        wait_until_ready(daemon)
    yield daemon
    daemon.stop()


@pytest.fixture
def pcscd(pcscd_daemon: PrivatePcscd) -> Iterator[PrivatePcscd]:
    """The session's pcscd, running under its usual name and driver at the start and end of the
    test, readers plugged in (``--auto-exit`` ends it after a minute without clients, as between
    test packages, so a stopped one is started again first)."""
    if not pcscd_daemon.running:
        pcscd_daemon.stop()
        pcscd_daemon.start()
        wait_until_ready(pcscd_daemon)
    yield pcscd_daemon
    pcscd_daemon.replug()
    usual = pcscd_daemon.name == DAEMON_NAME and pcscd_daemon.driver == VPCD_DRIVER
    if not usual or not pcscd_daemon.running:
        pcscd_daemon.stop()
        pcscd_daemon.name, pcscd_daemon.driver = DAEMON_NAME, VPCD_DRIVER
        pcscd_daemon.start()
        wait_until_ready(pcscd_daemon)


@pytest.fixture(scope="session")
def unplug_driver(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """vpcd with an unplug switch (unplug_ifd.c), built once per session."""
    try:
        return build_unplug_driver(tmp_path_factory.mktemp("unplug-driver"))
    except RuntimeError as problem:
        if in_ci():
            pytest.fail(f"reader unplug tests must run in CI: {problem}")
        pytest.skip(f"reader unplug tests skipped: {problem}")


class Slots:
    """Puts virtual cards on the daemon's two slots and takes them all off after the test."""

    def __init__(self, daemon: PrivatePcscd) -> None:
        self.daemon = daemon
        self.cards: list[VirtualCard] = []
        self.ports: list[int] = []

    def insert(self, card: VirtualCard, slot: int = 0) -> VirtualCard:
        card.insert(self.daemon.port + slot)
        self.cards.append(card)
        self.ports.append(self.daemon.port + slot)
        return card

    def wait_present(self, timeout: float = 5.0) -> None:
        """Block until pcscd shows a card in every slot a card was put on."""
        from smartcard import scard

        slots = {card_port - self.daemon.port for card_port in self.ports}
        names = [self.daemon.reader_names[slot] for slot in sorted(slots)]
        _, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        try:
            states = [(name, scard.SCARD_STATE_UNAWARE) for name in names]
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                _, new = scard.SCardGetStatusChange(context, 500, states)
                if all(event & scard.SCARD_STATE_PRESENT for _, event, _ in new):
                    return
                states = [(name, event & ~scard.SCARD_STATE_CHANGED) for name, event, _ in new]
        finally:
            scard.SCardReleaseContext(context)

    def remove_all(self) -> None:
        """Take every card off and wait until pcscd has seen both slots empty."""
        for card in self.cards:
            card.remove()
        self.cards.clear()
        self.ports.clear()
        if self.daemon.running:
            wait_slots_empty(self.daemon)


def wait_slots_empty(daemon: PrivatePcscd, timeout: float = 5.0) -> None:
    """Block in SCardGetStatusChange until no slot shows a card (pcscd polls vpcd ~every 0.4 s)."""
    from smartcard import scard

    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        return
    try:
        states = [(name, scard.SCARD_STATE_UNAWARE) for name in daemon.reader_names]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            hresult, new = scard.SCardGetStatusChange(context, 500, states)
            if hresult not in (scard.SCARD_S_SUCCESS, scard.SCARD_E_TIMEOUT):
                return
            if not any(event & scard.SCARD_STATE_PRESENT for _, event, _ in new):
                return
            states = [(name, event & ~scard.SCARD_STATE_CHANGED) for name, event, _ in new]
    finally:
        scard.SCardReleaseContext(context)


@pytest.fixture
def slots(pcscd: PrivatePcscd) -> Iterator[Slots]:
    holder = Slots(pcscd)
    yield holder
    holder.remove_all()


class EventStream:
    """A reader's ``events()`` with a timeout on every step, so a missing event fails fast."""

    def __init__(self, events: AsyncIterator[ReaderEvent]) -> None:
        self._events = events

    async def next(self, timeout: float = EVENT_TIMEOUT_S) -> ReaderEvent:
        return await asyncio.wait_for(anext(self._events), timeout)

    async def until(self, kind: type, timeout: float = EVENT_TIMEOUT_S) -> list[ReaderEvent]:
        """Events up to and including the first of ``kind``."""
        seen: list[ReaderEvent] = []
        deadline = time.monotonic() + timeout
        while not seen or not isinstance(seen[-1], kind):
            seen.append(await self.next(max(deadline - time.monotonic(), 0.01)))
        return seen


@pytest.fixture
async def open_pcsc(pcscd: PrivatePcscd) -> AsyncIterator[Callable[[str], EventStream]]:
    """Opens ``pcsc://`` readers (through ``open_pcsc_reader``) and closes them after the test."""
    from readers.backends.pcsc import open_pcsc_reader

    opened: list[Reader] = []

    def open_stream(uri: str) -> EventStream:
        reader = open_pcsc_reader(uri)
        opened.append(reader)
        return EventStream(reader.events())

    yield open_stream
    for reader in opened:
        await reader.aclose()
