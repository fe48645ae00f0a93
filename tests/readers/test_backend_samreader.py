"""Card taps through serial:// (real pty) and tcp:// against the simulator: the whole poll loop."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import pytest
from cardfactory import make_card
from sam_helpers import EventTap

from readers.backends import open_reader
from readers.events import CardPresent, CardRemoved, CardUnreadable, ReaderFault, ReaderRestored
from readers.simulator import CardDeck, Fault, SamSimulator

FAST = "poll_ms=20&find_timeout=0.5&read_timeout=1&backoff_max=0.2"
GREEN = make_card()
BLUE = make_card(name="李四", appended_address="上海市浦东新区世纪大道100号")


@pytest.fixture(params=["serial", "tcp"])
async def rig(request: pytest.FixtureRequest) -> AsyncIterator[tuple[SamSimulator, EventTap]]:
    bad = dataclasses.replace(GREEN, id_number=GREEN.id_number[:-1] + _wrong(GREEN.id_number))
    sim = SamSimulator(CardDeck({"green": GREEN, "blue": BLUE, "bad": bad}))
    if request.param == "serial":
        uri = f"serial://{sim.serve_pty()}?{FAST}"
    else:
        uri = f"tcp://127.0.0.1:{await sim.serve_tcp()}?{FAST}"
    tap = EventTap(open_reader(uri))
    assert await tap.quiet(0.1) == []
    yield sim, tap
    await tap.aclose()
    await sim.aclose()


def _wrong(id_number: str) -> str:
    return "0" if id_number[-1] != "0" else "1"


async def test_tap_hold_and_take_away(rig: tuple[SamSimulator, EventTap]) -> None:
    sim, tap = rig
    sim.insert("green")
    event = await tap.next()
    assert isinstance(event, CardPresent)
    assert event.card.id_number == GREEN.id_number
    assert event.card.name == GREEN.name
    assert event.card.appended_address is None
    assert await tap.quiet(0.3) == []  # held on the reader: not read again
    sim.remove()
    assert await tap.next() == CardRemoved()
    assert await tap.quiet(0.1) == []


async def test_appended_address_is_read(rig: tuple[SamSimulator, EventTap]) -> None:
    sim, tap = rig
    sim.insert("blue")
    event = await tap.next()
    assert isinstance(event, CardPresent)
    assert event.card.appended_address == "上海市浦东新区世纪大道100号"


async def test_swapping_cards_between_polls(rig: tuple[SamSimulator, EventTap]) -> None:
    sim, tap = rig
    sim.insert("green")
    assert isinstance(await tap.next(), CardPresent)
    sim.insert("blue")
    assert await tap.next() == CardRemoved()
    event = await tap.next()
    assert isinstance(event, CardPresent)
    assert event.card.name == "李四"


async def test_card_pulled_mid_read_then_the_next_card_reads(
    rig: tuple[SamSimulator, EventTap],
) -> None:
    sim, tap = rig
    sim.inject(Fault.PULL_BEFORE_READ)
    sim.insert("green")
    fault = await tap.next()
    assert isinstance(fault, ReaderFault)
    assert fault.code == "card_pulled"
    assert await tap.next() == ReaderRestored()
    assert await tap.quiet(0.1) == []
    sim.insert("blue")
    event = await tap.next()
    assert isinstance(event, CardPresent)
    assert event.card.name == "李四"


async def test_a_sam_error_on_read_is_a_plain_fault(rig: tuple[SamSimulator, EventTap]) -> None:
    sim, tap = rig
    sim.inject(Fault.SW3, sw3=0x32)
    sim.insert("green")
    fault = await tap.next()
    assert fault == ReaderFault(
        "SAM status 32 to read card: SAM failed to authenticate the card — not a genuine card? "
        "(机具认证卡失败)",
        code="sam_status",
    )
    assert await tap.next() == ReaderRestored()


async def test_invalid_card_data_is_unreadable_without_leaking_the_number(
    rig: tuple[SamSimulator, EventTap],
) -> None:
    sim, tap = rig
    sim.insert("bad")
    event = await tap.next()
    assert isinstance(event, CardUnreadable)
    assert (event.reason, event.field) == ("card_data", "id_number")
    assert GREEN.id_number[:17] not in event.message
    sim.remove()
    assert await tap.next() == CardRemoved()


async def test_an_outage_during_a_hold_keeps_track_of_the_card(
    rig: tuple[SamSimulator, EventTap],
) -> None:
    sim, tap = rig
    sim.insert("green")
    assert isinstance(await tap.next(), CardPresent)
    sim.inject(Fault.SILENCE, times=1)
    fault = await tap.next()
    assert isinstance(fault, ReaderFault)
    assert fault.code == "timeout"
    assert await tap.next() == ReaderRestored()
    assert await tap.quiet(0.2) == []  # the SAM still knows the card was read
    sim.remove()
    assert await tap.next() == CardRemoved()


async def test_fingerprints_with_30_10() -> None:
    card = make_card(fingerprints=(bytes(range(256)) * 2, bytes(512)))
    sim = SamSimulator(CardDeck({"fp": card}))
    tap = EventTap(open_reader(f"tcp://127.0.0.1:{await sim.serve_tcp()}?{FAST}&fingerprint=1"))
    sim.insert("fp")
    event = await tap.next()
    assert isinstance(event, CardPresent)
    assert event.card.fingerprints == card.fingerprints
    await tap.aclose()
    await sim.aclose()


async def test_a_read_that_times_out_is_a_fault_then_the_card_reads(
    rig: tuple[SamSimulator, EventTap],
) -> None:
    sim, tap = rig
    sim.inject(Fault.SILENCE, command="read")
    sim.insert("green")
    assert await tap.next() == ReaderFault("read card: no answer within 1 s", code="timeout")
    assert await tap.next() == ReaderRestored()
    event = await tap.next()
    assert isinstance(event, CardPresent)
    assert event.card.id_number == GREEN.id_number


async def test_address_0_skips_the_appended_address() -> None:
    sim = SamSimulator(CardDeck({"blue": BLUE}))
    tap = EventTap(open_reader(f"tcp://127.0.0.1:{await sim.serve_tcp()}?{FAST}&address=0"))
    sim.inject(Fault.SW3, sw3=0x24, command="address")
    sim.insert("blue")
    event = await tap.next()
    assert isinstance(event, CardPresent)
    assert event.card.appended_address is None
    assert sim.module.pending_faults == ["sw3×1"]  # 30 03 was never sent
    await tap.aclose()
    await sim.aclose()
