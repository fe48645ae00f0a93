"""serial:// against the simulator on a real pty: unplug and replug, silence, bad URIs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sam_helpers import EventTap

from readers.backends import open_reader
from readers.backends.serial import SerialReader
from readers.errors import ReaderURIError
from readers.events import ReaderFault, ReaderRestored
from readers.simulator import CardDeck, Fault, SamSimulator

FAST = "poll_ms=20&find_timeout=0.3&backoff_max=0.2"


@pytest.fixture
async def sim() -> AsyncIterator[SamSimulator]:
    simulator = SamSimulator(CardDeck({}))
    yield simulator
    await simulator.aclose()


async def test_adapter_unplugged_and_replugged(sim: SamSimulator, tmp_path: Path) -> None:
    link = tmp_path / "ttySAM"
    assert sim.serve_pty(link) == str(link)
    tap = EventTap(open_reader(f"serial://{link}?baud=115200&{FAST}"))
    assert await tap.quiet(0.2) == []
    await sim.unplug()
    assert not link.exists()
    fault = await tap.next()
    assert isinstance(fault, ReaderFault)
    assert fault.code == "gone"
    assert await tap.quiet(0.4) == []
    sim.serve_pty(link)
    assert await tap.next() == ReaderRestored()
    await tap.aclose()


async def test_a_port_that_is_not_there_is_reported_once(tmp_path: Path) -> None:
    tap = EventTap(open_reader(f"serial://{tmp_path}/ttyUSB9?{FAST}"))
    fault = await tap.next()
    assert fault == ReaderFault(f"reader gone: {tmp_path}/ttyUSB9 is not there", code="gone")
    assert await tap.quiet(0.5) == []
    await tap.aclose()


async def test_silence_on_the_line_is_a_timeout_then_restored(sim: SamSimulator) -> None:
    path = sim.serve_pty()
    assert path.startswith("/dev/pts/")
    tap = EventTap(open_reader(f"serial://{path}?{FAST}"))
    assert await tap.quiet(0.1) == []
    sim.inject(Fault.SILENCE)
    assert await tap.next() == ReaderFault("find card: no answer within 0.3 s", code="timeout")
    assert await tap.next() == ReaderRestored()
    await tap.aclose()


async def test_split_and_damaged_answers_on_the_line_are_absorbed(sim: SamSimulator) -> None:
    tap = EventTap(open_reader(f"serial://{sim.serve_pty()}?{FAST}"))
    assert await tap.quiet(0.1) == []
    sim.inject(Fault.SPLIT_FRAMES, times=5)
    sim.inject(Fault.BAD_CHECKSUM, times=2)
    assert await tap.quiet(0.3) == []
    await tap.aclose()


def test_baud_and_path_come_from_the_uri() -> None:
    reader = open_reader("serial:///dev/ttyUSB0?baud=9600&poll_ms=200")
    assert isinstance(reader, SerialReader)
    assert (reader.path, reader.baud, reader.options.poll_ms) == ("/dev/ttyUSB0", 9600, 200)
    assert open_reader("serial:///dev/ttyS1").baud == 115200  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("uri", "words"),
    [
        ("serial:///dev/ttyUSB0?baud=12345", "baud='12345': expected one of 9600, 19200"),
        ("serial://ttyUSB0", "expected serial:///dev/DEVICE"),
        ("serial:///dev/ttyUSB0?parity=E", "does not take option 'parity'"),
    ],
)
def test_bad_uris_name_what_is_wrong(uri: str, words: str) -> None:
    with pytest.raises(ReaderURIError, match=words):
        open_reader(uri)
