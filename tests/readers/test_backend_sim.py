"""sim:// — virtual card files placed and removed through DIR/.present."""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cardfactory import make_card
from sam_helpers import EventTap, write_deck

from readers.backends import open_reader
from readers.backends.sim import PRESENT_FILE, SimReader, place_card, remove_card
from readers.cardjson import card_to_file_json
from readers.errors import ReaderURIError
from readers.events import CardPresent, CardRemoved, CardUnreadable, ReaderFault, ReaderRestored

GREEN = make_card()
RED = make_card(name="赵六")


@pytest.fixture
def cards(tmp_path: Path) -> Path:
    return write_deck(tmp_path / "cards", green=GREEN, red=RED)


@pytest.fixture
async def tap(cards: Path) -> AsyncIterator[EventTap]:
    events = EventTap(open_reader(f"sim://{cards}?poll_ms=20&backoff_max=0.2"))
    yield events
    await events.aclose()


async def test_place_hold_and_remove(cards: Path, tap: EventTap) -> None:
    place_card(cards, "green")
    event = await tap.next()
    assert isinstance(event, CardPresent)
    assert event.card.id_number == GREEN.id_number
    assert await tap.quiet(0.2) == []
    remove_card(cards)
    assert await tap.next() == CardRemoved()


async def test_the_same_card_placed_again_is_a_new_tap(cards: Path, tap: EventTap) -> None:
    place_card(cards, "green")
    assert isinstance(await tap.next(), CardPresent)
    place_card(cards, "green")
    assert await tap.next() == CardRemoved()
    assert isinstance(await tap.next(), CardPresent)


async def test_a_shell_echo_works_too(cards: Path, tap: EventTap) -> None:
    (cards / PRESENT_FILE).write_text("red.json\n", encoding="utf-8")
    event = await tap.next()
    assert isinstance(event, CardPresent)
    assert event.card.name == "赵六"


async def test_an_invalid_card_file_is_unreadable(cards: Path, tap: EventTap) -> None:
    data = json.loads((cards / "green.json").read_text(encoding="utf-8"))
    data["id_number"] = data["id_number"][:-1] + ("0" if data["id_number"][-1] != "0" else "1")
    (cards / "forged.json").write_text(json.dumps(data), encoding="utf-8")
    place_card(cards, "forged")
    event = await tap.next()
    assert isinstance(event, CardUnreadable)
    assert event.field == "id_number"
    assert data["id_number"] not in event.message
    remove_card(cards)
    assert await tap.next() == CardRemoved()


def _green_file(**changes: object) -> bytes:
    return json.dumps(card_to_file_json(GREEN) | changes).encode()


HOSTILE_FILES = {
    "lone-surrogate": (_green_file(appended_address="\ud800"), "appended_address"),
    "control-character": (_green_file(address="北京\x00"), "address"),
    "huge-number": (
        _green_file(renewal_count=0).replace(
            b'"renewal_count": 0', b'"renewal_count": ' + b"9" * 5000
        ),
        "renewal_count",
    ),
    "nested-deep": (b'{"card_type": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "card"),
    "not-utf8": (_green_file().replace(b'"name"', b'"\xff\xfe"'), "card"),
    "binary": (bytes(range(256)) * 4, "card"),
    "huge-file": (b" " * 10_000_000, "card"),
}


@pytest.mark.parametrize(("content", "field"), HOSTILE_FILES.values(), ids=list(HOSTILE_FILES))
async def test_a_hostile_card_file_is_one_unreadable_card_and_reading_goes_on(
    cards: Path, tap: EventTap, content: bytes, field: str
) -> None:
    """The kiosk shows "card could not be read" and the next card reads: no reader fault, no
    "internal reader error" loop."""
    (cards / "bad.json").write_bytes(content)
    place_card(cards, "bad")
    event = await tap.next()
    assert isinstance(event, CardUnreadable)
    assert (event.reason, event.field) == ("card_data", field)
    assert event.message.startswith(f"bad.json: {field}: ")
    remove_card(cards)
    assert await tap.next() == CardRemoved()
    place_card(cards, "green")
    assert isinstance(await tap.next(), CardPresent)


async def test_a_name_too_long_for_the_file_system_is_a_fault_not_a_crash(
    cards: Path, tap: EventTap
) -> None:
    place_card(cards, "x" * 300)
    fault = await tap.next()
    assert isinstance(fault, ReaderFault)
    assert "names no card file" in fault.message and len(fault.message) < 200
    assert await tap.next() == ReaderRestored()
    place_card(cards, "green")
    assert isinstance(await tap.next(), CardPresent)


async def test_naming_a_missing_card_is_a_fault(cards: Path, tap: EventTap) -> None:
    place_card(cards, "blue")
    fault = await tap.next()
    assert isinstance(fault, ReaderFault)
    assert "names no card file" in fault.message
    assert await tap.next() == ReaderRestored()


async def test_a_vanished_directory_is_gone_then_restored(cards: Path, tap: EventTap) -> None:
    moved = cards.with_name("elsewhere")
    cards.rename(moved)
    fault = await tap.next()
    assert isinstance(fault, ReaderFault)
    assert fault.code == "gone"
    shutil.move(moved, cards)
    assert await tap.next() == ReaderRestored()


def test_uri_checks() -> None:
    reader = open_reader("sim://demo/cards?poll_ms=50")
    assert isinstance(reader, SimReader)
    assert (str(reader.directory), reader.poll_ms) == ("demo/cards", 50)
    with pytest.raises(ReaderURIError, match="does not take option 'baud'"):
        open_reader("sim://demo?baud=9600")
    with pytest.raises(ReaderURIError, match=r"expected sim://DIR"):
        open_reader("sim://")
