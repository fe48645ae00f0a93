"""The SAM client against the simulator over real TCP: answers, retries, timeouts, statuses."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import pytest
from test_sam_status import NOTES

from readers.errors import ReaderError, ReaderTimeout
from readers.sam.client import SamClient, SamTimeouts
from readers.sam.frames import ChecksumError
from readers.sam.status import SamStatusError, SamUnknownError
from readers.simulator import CardDeck, Fault, SamSimulator

FAST = SamTimeouts(find=0.3, select=0.3, read=0.5, command=0.3)


@pytest.fixture
async def sim() -> AsyncIterator[SamSimulator]:
    simulator = SamSimulator(CardDeck({}))
    yield simulator
    await simulator.aclose()


@pytest.fixture
async def client(sim: SamSimulator) -> AsyncIterator[SamClient]:
    port = await sim.serve_tcp()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    yield SamClient(reader, writer, timeouts=FAST)
    writer.close()


async def test_status_id_and_empty_field(client: SamClient) -> None:
    await client.status()
    await client.reset()
    await client.set_max_rf_bytes(0x50)
    assert re.fullmatch(r"\d{2}\.\d{2}-\d{8}-\d{10}-\d{10}", await client.sam_id())
    assert await client.find() is False


async def test_a_damaged_answer_is_retried(sim: SamSimulator, client: SamClient) -> None:
    sim.inject(Fault.BAD_CHECKSUM, times=2)
    assert await client.find() is False


async def test_answers_damaged_beyond_the_retries_raise(
    sim: SamSimulator, client: SamClient
) -> None:
    sim.inject(Fault.BAD_CHECKSUM, times=3)
    with pytest.raises(ChecksumError, match="checksum"):
        await client.find()


async def test_the_sam_seeing_a_damaged_request_is_retried(
    sim: SamSimulator, client: SamClient
) -> None:
    sim.inject(Fault.SW3, sw3=0x10, command="find")
    assert await client.find() is False


async def test_a_request_damaged_beyond_the_retries_is_the_sams_checksum_error(
    sim: SamSimulator, client: SamClient
) -> None:
    sim.inject(Fault.SW3, times=3, sw3=0x10, command="find")
    with pytest.raises(SamStatusError, match="checksum"):
        await client.find()
    assert await client.find() is False


async def test_split_answers_are_reassembled(sim: SamSimulator, client: SamClient) -> None:
    sim.inject(Fault.SPLIT_FRAMES, times=2)
    assert await client.find() is False
    assert await client.sam_id() == "05.01-20261128-0000000001-0000004242"


async def test_silence_is_a_timeout_naming_the_step(sim: SamSimulator, client: SamClient) -> None:
    sim.inject(Fault.SILENCE)
    with pytest.raises(ReaderTimeout, match=r"^find card: no answer within 0.3 s$"):
        await client.find()


async def test_a_closed_connection_is_a_reader_error(sim: SamSimulator, client: SamClient) -> None:
    await client.status()
    await sim.unplug()
    with pytest.raises(ReaderError):
        await client.find()


@pytest.mark.parametrize("sw3", sorted(set(NOTES) - {0x10}))
async def test_every_sw3_code_arrives_as_its_error(
    sim: SamSimulator, client: SamClient, sw3: int
) -> None:
    sim.inject(Fault.SW3, sw3=sw3, command="select")
    with pytest.raises(SamStatusError) as caught:
        await client.select()
    assert caught.value.sw3 == sw3
    assert type(caught.value).__name__ == NOTES[sw3][0]


async def test_a_find_error_is_raised_not_taken_for_no_card(
    sim: SamSimulator, client: SamClient
) -> None:
    sim.inject(Fault.SW3, sw3=0x24, command="find")
    with pytest.raises(SamUnknownError):
        await client.find()
