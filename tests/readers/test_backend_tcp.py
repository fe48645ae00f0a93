"""tcp:// against the simulator over real TCP: outages, silence, damaged frames, bad URIs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sam_helpers import EventTap

from readers.backends import open_reader
from readers.backends.tcp import TcpReader
from readers.errors import ReaderURIError
from readers.events import ReaderFault, ReaderRestored
from readers.simulator import CardDeck, Fault, SamSimulator

FAST = "poll_ms=20&find_timeout=0.3&backoff_max=0.2&connect_timeout=0.5"


@pytest.fixture
async def sim() -> AsyncIterator[SamSimulator]:
    simulator = SamSimulator(CardDeck({}))
    yield simulator
    await simulator.aclose()


async def test_server_stopped_and_restarted_is_a_fault_then_restored(sim: SamSimulator) -> None:
    port = await sim.serve_tcp()
    tap = EventTap(open_reader(f"tcp://127.0.0.1:{port}?{FAST}"))
    assert await tap.quiet(0.2) == []
    await sim.unplug()
    fault = await tap.next()
    assert isinstance(fault, ReaderFault)
    assert fault.code == "gone"
    assert await tap.quiet(0.5) == []  # one fault per outage, not one per reconnect attempt
    await sim.serve_tcp("127.0.0.1", port)
    assert await tap.next() == ReaderRestored()
    await tap.aclose()


async def test_no_server_at_start_is_reported_then_found(sim: SamSimulator) -> None:
    port = await sim.serve_tcp()
    await sim.unplug()
    tap = EventTap(open_reader(f"tcp://127.0.0.1:{port}?{FAST}"))
    assert (await tap.next()).code == "gone"  # type: ignore[union-attr]
    await sim.serve_tcp("127.0.0.1", port)
    assert await tap.next() == ReaderRestored()
    await tap.aclose()


async def test_silence_is_a_timeout_fault_then_restored(sim: SamSimulator) -> None:
    port = await sim.serve_tcp()
    tap = EventTap(open_reader(f"tcp://127.0.0.1:{port}?{FAST}"))
    assert await tap.quiet(0.1) == []
    sim.inject(Fault.SILENCE, times=2)
    assert await tap.next() == ReaderFault("find card: no answer within 0.3 s", code="timeout")
    assert await tap.next() == ReaderRestored()
    await tap.aclose()


async def test_damaged_split_and_noisy_answers_are_absorbed(sim: SamSimulator) -> None:
    port = await sim.serve_tcp()
    tap = EventTap(open_reader(f"tcp://127.0.0.1:{port}?{FAST}"))
    sim.inject(Fault.BAD_CHECKSUM, times=2)
    sim.inject(Fault.SPLIT_FRAMES, times=3)
    sim.inject(Fault.NOISE, times=3)
    assert await tap.quiet(0.3) == []
    await tap.aclose()


async def test_answers_damaged_beyond_retries_are_a_fault_then_restored(
    sim: SamSimulator,
) -> None:
    port = await sim.serve_tcp()
    tap = EventTap(open_reader(f"tcp://127.0.0.1:{port}?{FAST}"))
    sim.inject(Fault.BAD_CHECKSUM, times=3)
    fault = await tap.next()
    assert isinstance(fault, ReaderFault)
    assert fault.code == "reader_error"
    assert "checksum" in fault.message
    assert await tap.next() == ReaderRestored()
    await tap.aclose()


async def test_a_sam_error_on_find_is_a_sam_status_fault(sim: SamSimulator) -> None:
    port = await sim.serve_tcp()
    tap = EventTap(open_reader(f"tcp://127.0.0.1:{port}?{FAST}"))
    sim.inject(Fault.SW3, sw3=0x60, command="find")
    fault = await tap.next()
    assert isinstance(fault, ReaderFault)
    assert fault.code == "sam_status"
    assert "SAM status 60 to find card: SAM self-test failed" in fault.message
    assert await tap.next() == ReaderRestored()


async def test_a_sam_that_keeps_failing_is_reported_once(sim: SamSimulator) -> None:
    port = await sim.serve_tcp()
    tap = EventTap(open_reader(f"tcp://127.0.0.1:{port}?{FAST}"))
    sim.inject(Fault.SW3, times=1000, sw3=0x66, command="find")
    fault = await tap.next()
    assert isinstance(fault, ReaderFault)
    assert fault.code == "sam_status"
    assert await tap.quiet(0.6) == []
    sim.clear_faults()
    assert await tap.next() == ReaderRestored()
    await tap.aclose()


async def test_aclose_ends_the_stream_promptly(sim: SamSimulator) -> None:
    port = await sim.serve_tcp()
    reader = open_reader(f"tcp://127.0.0.1:{port}?{FAST}")
    events = []

    async def consume() -> None:
        events.extend([event async for event in reader.events()])

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.1)
    await reader.aclose()
    await asyncio.wait_for(task, 2)
    assert events == []


def test_options_come_from_the_uri() -> None:
    reader = open_reader("tcp://10.0.0.5:7000?poll_ms=50&read_timeout=2&fingerprint=1")
    assert isinstance(reader, TcpReader)
    assert (reader.host, reader.port) == ("10.0.0.5", 7000)
    assert reader.options.poll_ms == 50
    assert reader.options.timeouts.read == 2
    assert reader.options.fingerprint is True


@pytest.mark.parametrize(
    ("uri", "words"),
    [
        ("tcp://host", "expected tcp://HOST:PORT"),
        ("tcp://host:99999", "port in 1..65535"),
        ("tcp://host:1?poll=5", "does not take option 'poll'"),
        ("tcp://host:1?poll_ms=0", "poll_ms='0': expected a whole number in 10..2000"),
        ("tcp://host:1?fingerprint=maybe", "fingerprint='maybe': expected 1 or 0"),
        ("tcp://host:1?poll_ms=50&poll_ms=60", "given twice"),
        ("ftp://host:1", "unknown reader scheme 'ftp'"),
        ("localhost:1", "has no scheme"),
    ],
)
def test_bad_uris_name_what_is_wrong(uri: str, words: str) -> None:
    with pytest.raises(ReaderURIError, match=words):
        open_reader(uri)
