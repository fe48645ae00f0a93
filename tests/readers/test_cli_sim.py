"""``yzt sim sam`` as a process: startup line, stdin commands, JSON control port, bad input."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from cardfactory import make_card
from sam_helpers import YZT, SimProcess, write_deck

from readers.cardjson import card_to_file_json


@pytest.fixture
def cards(tmp_path: Path) -> Path:
    return write_deck(tmp_path / "cards", green=make_card(), red=make_card(name="王五"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_pty_mode_prints_the_device_and_obeys_stdin(cards: Path) -> None:
    sim = SimProcess(cards, "--pty")
    try:
        assert sim.where.startswith("/dev/pts/")
        assert Path(sim.where).exists()
        assert sim.send("list") == "ok: cards: green, red · on reader: none"
        assert sim.send("insert red") == "ok: card red placed on the reader"
        assert sim.send("insert blue") == "error: no card 'blue' in the deck (cards: green, red)"
        assert sim.send("fault sw3 zz").startswith("error: SW3 code 'zz' is not hex")
        assert sim.send("fault pull") == "ok: fault pull queued for the next 1 answer(s)"
        assert sim.send("quit") == "ok: bye"
        assert sim.process.wait(timeout=5) == 0
    finally:
        sim.stop()


def test_control_port_takes_json_lines(cards: Path) -> None:
    port = free_port()
    sim = SimProcess(cards, "--tcp", "0", "--control", str(port))
    try:
        assert int(sim.where) > 0
        with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
            lines = conn.makefile("rw", encoding="utf-8")

            def ask(text: str) -> dict:
                lines.write(text + "\n")
                lines.flush()
                return json.loads(lines.readline())

            reply = ask('{"cmd": "insert", "card": "green"}')
            assert reply == {
                "ok": True,
                "message": "card green placed on the reader",
                "card": "green",
                "cards": ["green", "red"],
            }
            assert ask("not json")["ok"] is False
            assert ask('{"cmd": "fault", "fault": "split", "times": 2}')["ok"] is True
            assert ask('{"cmd": "remove"}')["card"] is None
            assert ask('{"cmd": "quit"}')["message"] == "bye"
        assert sim.process.wait(timeout=5) == 0
    finally:
        sim.stop()


def test_sigterm_stops_it_cleanly(cards: Path) -> None:
    sim = SimProcess(cards, "--tcp", "0")
    assert sim.stop() == 0


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (
            ["--cards", "/nonexistent", "--pty"],
            "error: /nonexistent: not a directory of card files",
        ),
        (["--tcp", "0", "--pty"], "error: give exactly one of --pty or --tcp PORT"),
    ],
)
def test_bad_invocations_exit_2_with_one_line(cards: Path, args: list[str], words: str) -> None:
    full = args if "--cards" in args else ["--cards", str(cards), *args]
    done = subprocess.run(
        [YZT, "sim", "sam", *full],
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == words


BAD_FILES = {
    "lone-surrogate": (
        json.dumps(card_to_file_json(make_card()) | {"appended_address": "\ud800"}),
        "error: bad.json: appended_address: holds a lone surrogate at character 0",
    ),
    "nested-deep": (
        '{"name": ' + "[" * 50_000,
        "error: bad.json: card: not a card file: JSON nested too deeply",
    ),
    "empty": ("", "error: bad.json: card: not JSON: Expecting value at line 1 column 1"),
}


@pytest.mark.parametrize(("text", "words"), BAD_FILES.values(), ids=list(BAD_FILES))
def test_a_bad_card_file_is_one_line_and_exit_2(cards: Path, text: str, words: str) -> None:
    """The card file is checked as the reader checks it: the key, what is wrong, no traceback."""
    (cards / "bad.json").write_text(text, encoding="utf-8")
    done = subprocess.run(
        [YZT, "sim", "sam", "--cards", str(cards), "--tcp", "0"],
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    assert (done.returncode, done.stderr.strip(), done.stdout) == (2, words, "")


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``yzt`` built as a wheel and installed into a fresh directory, away from the checkout."""
    root = tmp_path_factory.mktemp("installed")
    source = root / "source"  # a copy: the build writes build/ and *.egg-info next to its input
    skip = shutil.ignore_patterns(".*", "tests", "build", "*.egg-info", "__pycache__", "docs")
    shutil.copytree(Path(__file__).resolve().parents[2], source, ignore=skip)
    pip = [sys.executable, "-m", "pip", "-q", "--disable-pip-version-check"]
    build = [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(root / "dist")]
    subprocess.run([*build, str(source)], check=True, capture_output=True, timeout=300)
    wheel = next((root / "dist").glob("yzt-*.whl"))
    target = root / "site"
    subprocess.run(
        [*pip, "install", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return target


def test_demo_cards_are_found_wherever_yzt_is_installed(installed: Path, tmp_path: Path) -> None:
    """``--cards demo`` from an installed wheel, run from a directory that is not the checkout."""
    yzt = [sys.executable, "-c", "from yzt.cli import main; main()"]
    done = subprocess.run(
        [*yzt, "sim", "sam", "--cards", "demo", "--tcp", "0"],
        input="list\nquit\n",
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(installed)},
    )
    assert done.returncode == 0, done.stderr
    listed = done.stdout.splitlines()[1]
    assert listed.startswith("ok: cards: elder, expired,") and "green" in listed
    shown = subprocess.run(
        [sys.executable, "-c", "import readers; print(readers.__file__)"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(installed)},
        check=True,
    )
    assert shown.stdout.startswith(str(installed))  # the installed copy answered, not the checkout
