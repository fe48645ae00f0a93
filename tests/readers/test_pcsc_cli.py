"""`yzt card read` and `yzt reader list` over PC/SC, in subprocesses using the test pcscd."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from cardfactory import make_card
from pcsc_fixtures import DAEMON_NAME, Slots
from pcscd import PrivatePcscd
from vpcd_card import VirtualCard

from readers.cardjson import card_to_json
from readers.record import encode_record

YZT = str(Path(sys.executable).with_name("yzt"))


def run(pcscd: PrivatePcscd, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [YZT, *args], env=pcscd.client_env(), capture_output=True, text=True, timeout=60
    )


def test_card_read_prints_the_same_json_contract(pcscd: PrivatePcscd, slots: Slots) -> None:
    card = make_card()
    slots.insert(VirtualCard.sam_record(encode_record(card, with_fingerprint=False)))
    done = run(pcscd, "card", "read", "--reader", f"pcsc://{DAEMON_NAME} 00 00", "--timeout", "20")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == json.loads(json.dumps(card_to_json(card, reveal=False)))
    assert card.id_number not in done.stdout


def test_reader_list_shows_both_slots_and_the_profile_of_the_card(
    pcscd: PrivatePcscd, slots: Slots
) -> None:
    slots.insert(VirtualCard.serial_only(bytes(8)), slot=1)
    slots.insert(VirtualCard.sam_record(encode_record(make_card(), with_fingerprint=False)))
    slots.wait_present()
    done = run(pcscd, "reader", "list", "--json")
    assert done.returncode == 0, done.stderr
    rows = {row["name"]: row for row in json.loads(done.stdout)["readers"]}
    sam, plain = (rows[name] for name in pcscd.reader_names)
    assert (sam["probe"], sam["profile"], sam["uri"]) == (
        "ok",
        "sam-record",
        f"pcsc://{DAEMON_NAME} 00 00",
    )
    assert (plain["probe"], plain["profile"], plain["uri"]) == (
        "ok",
        "serial-only",
        f"pcsc://{DAEMON_NAME} 00 01?profile=serial-only",
    )


def test_reader_list_without_pcscd_says_so(pcscd: PrivatePcscd) -> None:
    pcscd.stop()
    done = run(pcscd, "reader", "list")
    assert done.returncode == 0, done.stderr
    assert "pcscd is not running" in done.stdout and "Traceback" not in done.stderr
