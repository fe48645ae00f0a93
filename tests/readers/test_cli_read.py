"""``yzt card read`` in a subprocess: sim://, and serial:// / tcp:// against ``yzt sim sam``."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from cardfactory import make_card
from sam_helpers import YZT, SimProcess, write_deck

from readers.backends.sim import place_card
from readers.record import encode_record
from readers.sam.frames import encode_response

CARD = make_card(appended_address="广州市越秀区测试路8号")


def card_read(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [YZT, "card", "read", *args], capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture
def cards(tmp_path: Path) -> Path:
    return write_deck(tmp_path / "cards", green=CARD)


def decoded(where: Path, *, reveal: bool) -> dict:
    """What ``yzt card decode`` prints for the 30 01 answer frame of the same card."""
    frame = where / "answer.bin"
    frame.write_bytes(encode_response(0x90, encode_record(CARD, with_fingerprint=False)))
    args = [YZT, "card", "decode", str(frame), *(["--reveal"] if reveal else [])]
    return json.loads(subprocess.run(args, capture_output=True, text=True, check=True).stdout)


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert "Traceback" not in text
    return lines[-1]


def test_sim_card_is_printed_with_the_number_masked(cards: Path, tmp_path: Path) -> None:
    place_card(cards, "green")
    photo = tmp_path / "photo.wlt"
    done = card_read("--reader", f"sim://{cards}", "--timeout", "5", "--photo", str(photo))
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data == decoded(tmp_path, reveal=False)
    assert data["id_number"] != CARD.id_number
    assert data["id_number"][:4] == CARD.id_number[:4]
    assert CARD.id_number not in done.stdout + done.stderr
    assert CARD.photo is not None
    assert photo.read_bytes() == CARD.photo.wlt


def test_reveal_prints_the_number(cards: Path) -> None:
    place_card(cards, "green")
    done = card_read("--reader", f"sim://{cards}", "--timeout", "5", "--reveal")
    assert json.loads(done.stdout)["id_number"] == CARD.id_number


def test_no_card_within_the_timeout_exits_3(cards: Path) -> None:
    done = card_read("--reader", f"sim://{cards}", "--timeout", "0.5")
    assert done.returncode == 3
    assert one_line(done.stderr) == f"no card on sim://{cards} within 0.5 s"
    assert done.stdout == ""


@pytest.mark.parametrize(
    ("uri", "words"),
    [
        ("bogus://x", "error: unknown reader scheme 'bogus'"),
        ("tcp://localhost", "error: tcp://localhost: expected tcp://HOST:PORT"),
        ("serial:///dev/ttyUSB0?baud=7", "error: serial:// option baud='7'"),
    ],
)
def test_a_bad_uri_exits_2_with_one_line(uri: str, words: str) -> None:
    done = card_read("--reader", uri, "--timeout", "1")
    assert done.returncode == 2
    assert one_line(done.stderr).startswith(words)


def test_an_invalid_card_file_exits_4(cards: Path) -> None:
    data = json.loads((cards / "green.json").read_text(encoding="utf-8"))
    data["birth_date"] = "1950-02-30"
    (cards / "broken.json").write_text(json.dumps(data), encoding="utf-8")
    place_card(cards, "broken")
    done = card_read("--reader", f"sim://{cards}", "--timeout", "5")
    assert done.returncode == 4
    assert one_line(done.stderr).startswith("card unreadable (card_data): broken.json:")


@pytest.mark.parametrize("mode", ["--pty", "--tcp"])
def test_read_against_the_simulator_process(cards: Path, mode: str) -> None:
    sim = SimProcess(cards, *(["--pty"] if mode == "--pty" else ["--tcp", "0"]))
    try:
        uri = f"serial://{sim.where}" if mode == "--pty" else f"tcp://127.0.0.1:{sim.where}"
        reader = subprocess.Popen(
            [YZT, "card", "read", "--reader", uri, "--timeout", "20", "--reveal"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert sim.send("insert green") == "ok: card green placed on the reader"
        out, err = reader.communicate(timeout=30)
        assert reader.returncode == 0, err
        data = json.loads(out)
        assert data["id_number"] == CARD.id_number
        assert data == decoded(cards.parent, reveal=True)
    finally:
        assert sim.stop() == 0
