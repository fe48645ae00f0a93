"""``pcsc://`` through a real private pcscd and vsmartcard-vpcd, with virtual cards on TCP.

Slot 0 (``… 00 00``) holds integrated-SAM cards, slot 1 (``… 00 01``) plain contactless ones.
Every assertion is on the event stream a kiosk consumes.
"""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from cardfactory import make_card
from pcsc_fixtures import DAEMON_NAME, EventStream, Slots, wait_until_ready
from pcscd import PrivatePcscd
from vpcd_card import Faults, VirtualCard

from readers.backends import open_reader
from readers.events import (
    CardPresent,
    CardRemoved,
    CardUnreadable,
    ReaderFault,
    ReaderRestored,
)
from readers.record import encode_record

SAM_URI = f"pcsc://{DAEMON_NAME} 00 00"
PLAIN_URI = f"pcsc://{DAEMON_NAME} 00 01?profile=serial-only"
UID = bytes.fromhex("5a01c3e4770a9b12")


def record_for(**changes: object) -> bytes:
    return encode_record(make_card(**changes), with_fingerprint=False)


async def test_sam_reader_gives_the_card_then_its_removal(open_pcsc, slots: Slots) -> None:
    events = open_pcsc(SAM_URI)
    card = make_card()
    slots.insert(VirtualCard.sam_record(encode_record(card, with_fingerprint=False)))
    present = await events.next()
    assert isinstance(present, CardPresent)
    assert present.card.id_number == card.id_number
    assert present.card.name == card.name
    assert present.card.photo is not None and present.card.photo.wlt == card.photo.wlt
    slots.remove_all()
    assert await events.next() == CardRemoved()


async def test_each_new_card_is_read_once(open_pcsc, slots: Slots) -> None:
    events = open_pcsc(SAM_URI)
    first = slots.insert(VirtualCard.sam_record(record_for()))
    assert isinstance(await events.next(), CardPresent)
    slots.remove_all()
    assert await events.next() == CardRemoved()
    second_card = make_card(name="李四")
    slots.insert(VirtualCard.sam_record(encode_record(second_card, with_fingerprint=False)))
    present = await events.next()
    assert isinstance(present, CardPresent) and present.card.name == "李四"
    assert len(first.apdus) == 6, "pages 0..5, each read once"


async def test_plain_reader_gives_the_chip_serial_and_no_identity(open_pcsc, slots: Slots) -> None:
    events = open_pcsc(PLAIN_URI)
    slots.insert(VirtualCard.serial_only(UID), slot=1)
    assert await events.next() == CardUnreadable(
        reason="no_sam", message="this reader cannot read identity", card_uid=UID.hex()
    )
    slots.remove_all()
    assert await events.next() == CardRemoved()


async def test_bad_card_data_names_the_field_and_hides_the_number(open_pcsc, slots: Slots) -> None:
    card = make_card()
    bad_number = card.id_number[:17] + ("0" if card.id_number[17] != "0" else "1")
    record = encode_record(dataclasses.replace(card, id_number=bad_number), with_fingerprint=False)
    events = open_pcsc(SAM_URI)
    slots.insert(VirtualCard.sam_record(record))
    unreadable = await events.next()
    assert isinstance(unreadable, CardUnreadable)
    assert (unreadable.reason, unreadable.field) == ("card_data", "id_number")
    assert bad_number not in unreadable.message and bad_number not in repr(unreadable)
    slots.remove_all()
    assert await events.next() == CardRemoved()


@pytest.mark.parametrize(
    ("faults", "atr_status", "code", "words"),
    [
        (Faults(status_word=b"\x6a\x82"), b"\x90\x00", "sam_status", "page 0 (FF B0 00 00 00)"),
        (Faults(short_page=2), b"\x90\x00", "reader_error", "page 2 (FF B0 02 00 00) gave 100"),
        (Faults(pull_at_apdu=3), b"\x90\x00", "card_pulled", "taken away during the read"),
        (Faults(), b"\x6a\x82", "sam_status", "ATR bytes 13–14 are 6A 82, expected 90 00"),
    ],
    ids=["wrong-status-word", "short-page", "pulled-mid-read", "no-read-signal-in-atr"],
)
async def test_a_faulty_read_is_a_plain_fault_and_the_next_card_reads(
    open_pcsc, slots: Slots, faults: Faults, atr_status: bytes, code: str, words: str
) -> None:
    events = open_pcsc(SAM_URI)
    slots.insert(VirtualCard.sam_record(record_for(), faults, atr_status=atr_status))
    fault = await events.next()
    assert isinstance(fault, ReaderFault) and fault.code == code
    assert words in fault.message
    slots.remove_all()
    assert await events.next() == ReaderRestored()
    slots.insert(VirtualCard.sam_record(record_for()))
    assert isinstance(await events.next(), CardPresent)


async def test_a_slow_reader_still_gives_the_card(open_pcsc, slots: Slots) -> None:
    events = open_pcsc(SAM_URI)
    slots.insert(VirtualCard.sam_record(record_for(), Faults(delay_s=0.1)))
    assert isinstance(await events.next(), CardPresent)


async def test_a_card_already_on_the_reader_is_read_at_start(open_pcsc, slots: Slots) -> None:
    slots.insert(VirtualCard.serial_only(UID), slot=1)
    await asyncio.sleep(0)  # the card is there before the reader is opened
    events = open_pcsc(PLAIN_URI)
    assert isinstance(await events.next(), CardUnreadable)


async def test_open_reader_dispatches_pcsc_uris(pcscd: PrivatePcscd, slots: Slots) -> None:
    reader = open_reader(PLAIN_URI)
    try:
        events = EventStream(reader.events())
        slots.insert(VirtualCard.serial_only(UID), slot=1)
        assert isinstance(await events.next(), CardUnreadable)
    finally:
        await reader.aclose()


async def test_pcscd_restart_is_reported_and_recovered(
    open_pcsc, slots: Slots, pcscd: PrivatePcscd
) -> None:
    events = open_pcsc(SAM_URI)
    slots.insert(VirtualCard.sam_record(record_for()))
    assert isinstance(await events.next(), CardPresent)
    pcscd.stop()
    assert await events.next() == CardRemoved()
    gone = await events.next()
    assert isinstance(gone, ReaderFault) and gone.code == "service_gone"
    assert "pcscd" in gone.message
    pcscd.start()
    assert await events.next() == ReaderRestored()
    slots.insert(VirtualCard.sam_record(record_for()))
    assert isinstance(await events.next(), CardPresent)


async def test_a_reader_that_appears_later_is_picked_up(
    open_pcsc, slots: Slots, pcscd: PrivatePcscd
) -> None:
    events = open_pcsc("pcsc://Lane 7 Reader")
    missing = await events.next()
    assert isinstance(missing, ReaderFault) and missing.code == "gone"
    assert "'Lane 7 Reader'" in missing.message and DAEMON_NAME in missing.message
    pcscd.stop()
    pcscd.name = "Lane 7 Reader"
    pcscd.start()
    wait_until_ready(pcscd)
    seen = await events.until(ReaderRestored)
    assert all(isinstance(event, ReaderFault) for event in seen[:-1]), seen
    slots.insert(VirtualCard.sam_record(record_for()))
    assert isinstance(await events.next(), CardPresent)


async def test_close_returns_while_the_reader_waits_for_a_card(pcscd: PrivatePcscd) -> None:
    from readers.backends.pcsc import PcscReader

    reader = PcscReader(SAM_URI)
    stream = reader.events()
    waiting = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0.3)
    assert not waiting.done(), "no card, so no event"
    await asyncio.wait_for(reader.aclose(), 5)
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(waiting, 5)
