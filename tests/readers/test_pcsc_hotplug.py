"""Readers unplugged and plugged back in while a ``pcsc://`` reader is open, on a real pcscd.

pcscd cannot add or drop reader.conf.d readers while it runs, and vpcd always answers (see
docs/pcsc.md, "Reader hot-plug"), so these readers run on unplug_ifd.c: vpcd whose presence
poll fails on demand, which pcscd shows as it shows an unplugged serial reader — still listed,
unavailable. Readers leaving and joining pcscd's list are covered through restarts in
test_pcsc.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cardfactory import make_card
from pcsc_fixtures import DAEMON_NAME, Slots, wait_until_ready
from pcscd import PrivatePcscd
from vpcd_card import VirtualCard

from readers.events import CardPresent, CardRemoved, CardUnreadable, ReaderFault, ReaderRestored
from readers.record import encode_record

SAM_URI = f"pcsc://{DAEMON_NAME} 00 00"
PLAIN_URI = f"pcsc://{DAEMON_NAME} 00 01?profile=serial-only"
UID = bytes.fromhex("5a01c3e4770a9b12")
YZT = str(Path(sys.executable).with_name("yzt"))


@pytest.fixture
def unpluggable(pcscd: PrivatePcscd, unplug_driver: Path) -> PrivatePcscd:
    """The session's pcscd restarted on the unplug driver (the ``pcscd`` fixture restores it)."""
    pcscd.stop()
    pcscd.driver = unplug_driver
    pcscd.start()
    wait_until_ready(pcscd)
    return pcscd


def sam_card(name: str) -> VirtualCard:
    return VirtualCard.sam_record(encode_record(make_card(name=name), with_fingerprint=False))


async def test_an_unplugged_reader_is_one_fault_and_reads_again_once_back(
    open_pcsc, slots: Slots, unpluggable: PrivatePcscd
) -> None:
    events = open_pcsc(SAM_URI)
    slots.insert(sam_card("张三"))
    assert isinstance(await events.next(), CardPresent)

    unpluggable.unplug()
    assert await events.next() == CardRemoved()
    fault = await events.next()
    assert isinstance(fault, ReaderFault) and fault.code == "gone"
    assert f"'{DAEMON_NAME} 00 00': the reader does not answer" in fault.message
    slots.remove_all()

    unpluggable.replug()
    assert await events.next() == ReaderRestored(), "the fault came once, then the way back"
    slots.insert(sam_card("李四"))
    present = await events.next()
    assert isinstance(present, CardPresent) and present.card.name == "李四"


async def test_a_reader_unplugged_before_opening_gives_its_card_once_plugged_in(
    open_pcsc, slots: Slots, unpluggable: PrivatePcscd
) -> None:
    unpluggable.unplug()
    events = open_pcsc(PLAIN_URI)
    fault = await events.next()
    assert isinstance(fault, ReaderFault) and "does not answer" in fault.message
    slots.insert(VirtualCard.serial_only(UID), slot=1)

    unpluggable.replug()
    assert await events.next() == ReaderRestored()
    unreadable = await events.next()
    assert isinstance(unreadable, CardUnreadable) and unreadable.card_uid == UID.hex()


def test_reader_list_shows_an_unplugged_reader_as_an_error(unpluggable: PrivatePcscd) -> None:
    unpluggable.unplug()
    done = subprocess.run(
        [YZT, "reader", "list", "--json"],
        env=unpluggable.client_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    rows = {row["name"]: row for row in json.loads(done.stdout)["readers"]}
    for name in unpluggable.reader_names:
        assert rows[name]["probe"] == "error"
        assert (
            rows[name]["detail"] == "the reader does not answer (unplugged, or its driver failed)"
        )
