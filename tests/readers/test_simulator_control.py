"""Simulator commands: text on stdin and JSON lines on the control port, with clear errors."""

from __future__ import annotations

import datetime as dt

import pytest

from readers.card import CardType, Gender, IdCard
from readers.simulator import CardDeck, SamSimulator
from readers.simulator.control import Command, CommandError, apply, parse_json, parse_text


@pytest.fixture
def sim() -> SamSimulator:
    card = IdCard(
        CardType.RESIDENT, "测试", Gender.MALE, dt.date(1950, 1, 1), "x", dt.date(2020, 1, 1), None
    )
    return SamSimulator(CardDeck({"green": card, "red": card}))


@pytest.mark.parametrize(
    ("line", "command"),
    [
        ("insert green", Command("insert", card="green")),
        ("  REMOVE ", Command("remove")),
        ("fault bad-checksum", Command("fault", fault="bad-checksum")),
        ("fault split 3", Command("fault", fault="split", times=3)),
        ("fault silence 2", Command("fault", fault="silence", times=2)),
        ("fault noise", Command("fault", fault="noise")),
        ("fault sw3 33", Command("fault", fault="sw3", sw3=0x33)),
        ("fault sw3 9f find", Command("fault", fault="sw3", sw3=0x9F, target="find")),
        ("fault pull", Command("fault", fault="pull")),
        ("list", Command("list")),
        ("clear", Command("clear")),
        ("quit", Command("quit")),
    ],
)
def test_text_commands(line: str, command: Command) -> None:
    assert parse_text(line) == command


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("insert", "insert needs one card name"),
        ("fault", "unknown command 'fault'"),
        ("fault melt", "unknown fault 'melt'"),
        ("fault sw3", "needs a hex code"),
        ("fault sw3 zz", "SW3 code 'zz' is not hex"),
        ("fault sw3 100", "not one byte"),
        ("fault sw3 33 dance", "unknown command 'dance'"),
        ("fault split many", "optional count"),
        ("remove now", "remove takes no arguments"),
        ("dance", "unknown command 'dance'"),
    ],
)
def test_bad_text_commands_say_what_is_expected(line: str, words: str) -> None:
    with pytest.raises(CommandError, match=words):
        parse_text(line)


@pytest.mark.parametrize(
    ("obj", "command"),
    [
        ({"cmd": "insert", "card": "red"}, Command("insert", card="red")),
        ({"cmd": "remove"}, Command("remove")),
        ({"cmd": "fault", "fault": "split", "times": 2}, Command("fault", fault="split", times=2)),
        (
            {"cmd": "fault", "fault": "sw3", "sw3": "41", "command": "read"},
            Command("fault", fault="sw3", sw3=0x41, target="read"),
        ),
        ({"cmd": "list"}, Command("list")),
    ],
)
def test_json_commands(obj: dict, command: Command) -> None:
    assert parse_json(obj) == command


@pytest.mark.parametrize(
    ("obj", "words"),
    [
        ([], 'expected a JSON object with a "cmd" string'),
        ({"cmd": "insert"}, 'insert needs "card"'),
        ({"cmd": "fault", "fault": "sw3"}, "needs a hex code"),
    ],
)
def test_bad_json_commands(obj: object, words: str) -> None:
    with pytest.raises(CommandError, match=words):
        parse_json(obj)


def test_apply_changes_the_simulator_and_replies(sim: SamSimulator) -> None:
    reply = apply(sim, parse_text("insert green"))
    assert (reply.ok, reply.message, sim.card) == (True, "card green placed on the reader", "green")
    assert reply.as_json(sim) == {
        "ok": True,
        "message": "card green placed on the reader",
        "card": "green",
        "cards": ["green", "red"],
    }
    assert apply(sim, parse_text("list")).message == "cards: green, red · on reader: green"
    assert apply(sim, parse_text("fault sw3 33")).message.startswith("fault sw3 33 queued")
    assert sim.module.pending_faults == ["sw3×1"]
    apply(sim, parse_text("clear"))
    assert sim.module.pending_faults == []
    apply(sim, parse_text("remove"))
    assert sim.card is None
    assert apply(sim, parse_text("quit")).quit


def test_an_unknown_card_is_a_failed_reply_not_a_crash(sim: SamSimulator) -> None:
    reply = apply(sim, parse_text("insert blue"))
    assert not reply.ok
    assert reply.message == "no card 'blue' in the deck (cards: green, red)"
