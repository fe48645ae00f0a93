"""The simulated SAM: the find/select/read behaviour of the notes, faults, deck, pty and TCP."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import serial
from cardfactory import make_card
from sam_helpers import write_deck

from readers.record import parse_record
from readers.sam.frames import (
    ChecksumError,
    Frame,
    FrameDecoder,
    Request,
    decode_frame,
    encode_request,
    encode_response,
)
from readers.simulator import CardDeck, DeckError, Fault, SamModule, SamSimulator
from readers.simulator.module import Answer
from readers.simulator.server import split_frame, wire_seconds


@pytest.fixture
def deck(tmp_path: Path) -> CardDeck:
    write_deck(
        tmp_path / "cards",
        green=make_card(),
        moved=make_card(appended_address="北京市海淀区中关村大街1号"),
    )
    return CardDeck.from_dir(tmp_path / "cards")


def ask(module: SamModule, cmd: int, para: int, data: bytes = b"") -> Frame:
    answer = module.answer(Request(cmd, para, data))
    assert answer.frame is not None
    return decode_frame(answer.frame)


def sw3s(module: SamModule, *steps: tuple[int, int]) -> list[int]:
    return [ask(module, *step).sw3 for step in steps]


FIND, SELECT = (0x20, 0x01), (0x20, 0x02)
READ, READ_FP, ADDRESS = (0x30, 0x01), (0x30, 0x10), (0x30, 0x03)


def test_a_tap_reads_once_until_the_card_is_put_back(deck: CardDeck) -> None:
    sam = SamModule(deck)
    assert sw3s(sam, FIND, SELECT) == [0x80, 0x81]
    sam.insert("green")
    assert sw3s(sam, FIND, SELECT) == [0x9F, 0x90]
    record = ask(sam, *READ)
    assert record.sw3 == 0x90
    assert parse_record(record.data, with_fingerprint=False).name == make_card().name
    assert sw3s(sam, FIND, SELECT, FIND) == [0x80, 0x90, 0x80]  # still there, already read
    sam.remove()
    assert sw3s(sam, FIND, SELECT) == [0x80, 0x81]
    sam.insert("green")
    assert sw3s(sam, FIND) == [0x9F]


def test_read_answer_is_the_documented_1295_byte_frame(deck: CardDeck) -> None:
    sam = SamModule(deck)
    sam.insert("green")
    sw3s(sam, FIND, SELECT)
    frame = sam.answer(Request(*READ)).frame
    assert frame is not None
    assert len(frame) == 1295
    assert frame[:14].hex(" ").upper() == "AA AA AA 96 69 05 08 00 00 90 01 00 04 00"


def test_read_with_fingerprints_uses_the_30_10_layout(deck: CardDeck) -> None:
    sam = SamModule(deck)
    sam.insert("green")
    sw3s(sam, FIND, SELECT)
    answer = ask(sam, *READ_FP)
    assert answer.sw3 == 0x90
    assert parse_record(answer.data, with_fingerprint=True).id_number == make_card().id_number


def test_steps_out_of_order_fail_as_a_sam_would(deck: CardDeck) -> None:
    sam = SamModule(deck)
    sam.insert("green")
    assert sw3s(sam, READ, SELECT, ADDRESS) == [0x41, 0x81, 0x41]


def test_appended_address_or_no_content(deck: CardDeck) -> None:
    sam = SamModule(deck)
    sam.insert("green")
    sw3s(sam, FIND, SELECT)
    assert sw3s(sam, ADDRESS) == [0x91]
    sam.insert("moved")
    sw3s(sam, FIND, SELECT)
    answer = ask(sam, *ADDRESS)
    assert answer.sw3 == 0x90
    assert len(answer.data) == 70
    assert answer.data.decode("utf-16-le").rstrip() == "北京市海淀区中关村大街1号"


def test_housekeeping_commands(deck: CardDeck) -> None:
    sam = SamModule(deck)
    assert sw3s(sam, (0x10, 0xFF), (0x11, 0xFF), (0x99, 0x01)) == [0x90, 0x90, 0x21]
    assert ask(sam, 0x61, 0xFF, b"\x50").sw3 == 0x90
    assert len(ask(sam, 0x12, 0xFF).data) == 16


def test_pull_before_read_empties_the_field(deck: CardDeck) -> None:
    sam = SamModule(deck)
    sam.insert("green")
    sam.inject(Fault.PULL_BEFORE_READ)
    assert sw3s(sam, FIND, SELECT, READ) == [0x9F, 0x90, 0x41]
    assert sam.card is None
    assert sw3s(sam, FIND) == [0x80]


def test_sw3_fault_hits_the_next_read_by_default_and_is_used_up(deck: CardDeck) -> None:
    sam = SamModule(deck)
    sam.insert("green")
    sam.inject(Fault.SW3, sw3=0x33)
    assert sw3s(sam, FIND, SELECT, READ) == [0x9F, 0x90, 0x33]
    assert sam.pending_faults == []
    assert sw3s(sam, FIND) == [0x80]  # the SAM has been through this card


def test_faults_on_the_answer(deck: CardDeck) -> None:
    sam = SamModule(deck)
    sam.inject(Fault.SILENCE)
    sam.inject(Fault.BAD_CHECKSUM)
    sam.inject(Fault.SPLIT_FRAMES)
    assert sam.answer(Request(*FIND)).frame is None
    damaged = sam.answer(Request(*FIND))
    assert damaged.split
    assert damaged.frame is not None
    assert damaged.frame[:-1] == encode_response(0x80)[:-1]
    with pytest.raises(ChecksumError):
        decode_frame(damaged.frame)
    assert sam.answer(Request(*FIND)) == Answer(encode_response(0x80))


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"times": 0}, "times must be at least 1"),
        ({"sw3": 300}, "one byte"),
        ({"command": "dance"}, "unknown command 'dance'"),
    ],
)
def test_bad_injections_are_refused(deck: CardDeck, kwargs: dict, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        SamModule(deck).inject(Fault.SW3, **kwargs)


def test_deck_names_cards_by_file_stem_and_refuses_unknown_ones(deck: CardDeck) -> None:
    assert deck.names == ["green", "moved"]
    with pytest.raises(DeckError, match=r"no card 'blue' in the deck \(cards: green, moved\)"):
        SamModule(deck).insert("blue")


def test_a_bad_card_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(DeckError, match=r"^broken.json: "):
        CardDeck.from_dir(tmp_path)
    with pytest.raises(DeckError, match="not a directory"):
        CardDeck.from_dir(tmp_path / "nowhere")


@pytest.fixture
async def sim(deck: CardDeck) -> AsyncIterator[SamSimulator]:
    simulator = SamSimulator(deck)
    yield simulator
    await simulator.aclose()


async def exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, data: bytes
) -> Frame:
    writer.write(data)
    await writer.drain()
    head = await asyncio.wait_for(reader.readexactly(7), 2)
    rest = await asyncio.wait_for(reader.readexactly(int.from_bytes(head[5:7], "big")), 2)
    return decode_frame(head + rest)


async def test_tcp_answers_damaged_requests_with_10_and_11(sim: SamSimulator) -> None:
    port = await sim.serve_tcp()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    bad_sum = encode_request(0x20, 0x01)[:-1] + b"\x00"
    assert (await exchange(reader, writer, bad_sum)).sw3 == 0x10
    bad_len = bytes.fromhex("AA AA AA 96 69 00 01 01")
    assert (await exchange(reader, writer, bad_len)).sw3 == 0x11
    assert (await exchange(reader, writer, encode_request(0x11, 0xFF))).sw3 == 0x90
    writer.close()


async def test_pty_is_raw_so_control_bytes_pass_untouched(sim: SamSimulator) -> None:
    path = sim.serve_pty(wire_time=False)

    def talk() -> list[int]:
        with serial.Serial(path, 115200, timeout=2) as port:
            answers = []
            for byte in (0x0D, 0x0A, 0x11, 0x13, 0x03, 0x7F):
                port.write(encode_request(0x61, 0xFF, bytes((byte,))))
                head = port.read(7)
                answers.append(decode_frame(head + port.read(int.from_bytes(head[5:7], "big"))))
            return [answer.sw3 for answer in answers]

    assert await asyncio.to_thread(talk) == [0x90] * 6  # 10 (checksum error) if a byte changed


async def test_unplug_removes_the_link_and_closes_the_pty(
    sim: SamSimulator, tmp_path: Path
) -> None:
    link = tmp_path / "ttySAM"
    target = os.readlink(sim.serve_pty(link))
    assert target.startswith("/dev/pts/")
    await sim.unplug()
    assert not link.exists()


def test_wire_time_of_a_read_at_115200_baud() -> None:
    assert wire_seconds(10 + 1295, 115200) == pytest.approx(0.1133, abs=1e-4)
    assert wire_seconds(10 + 1295, 9600) == pytest.approx(1.359, abs=1e-3)


def test_split_cuts_inside_the_preamble_and_the_length() -> None:
    frame = encode_response(0x90, bytes(1288))
    pieces = split_frame(frame)
    assert b"".join(pieces) == frame
    assert [len(p) for p in pieces[:5]] == [1, 2, 3, 1, 2]


def test_noise_comes_before_the_answer_and_the_decoder_skips_it(deck: CardDeck) -> None:
    sam = SamModule(deck)
    sam.inject(Fault.NOISE)
    noisy = sam.answer(Request(*FIND)).frame
    assert noisy is not None
    assert noisy != encode_response(0x80)
    assert noisy.endswith(encode_response(0x80))
    assert FrameDecoder().feed(noisy) == [Frame(0, 0, 0x80)]
