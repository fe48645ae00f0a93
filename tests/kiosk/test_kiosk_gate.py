"""kiosk/gate.py against a real pty standing in for the relay board's serial port."""

from __future__ import annotations

import asyncio
import os
import time

import pytest

from kiosk.config import GateSection
from kiosk.gate import GateError, open_gate


def read_available(fd: int, want: int, timeout_s: float = 2.0) -> bytes:
    got = b""
    end = time.monotonic() + timeout_s
    while len(got) < want and time.monotonic() < end:
        try:
            got += os.read(fd, want - len(got))
        except BlockingIOError:
            time.sleep(0.01)
    return got


async def test_pass_pulses_the_relay_open_then_closed() -> None:
    master, slave = os.openpty()
    os.set_blocking(master, False)
    try:
        section = GateSection(
            kind="serial",
            port=os.ttyname(slave),
            open_hex="A0 01 01 A2",
            close_hex="A0 01 00 A1",
            pulse_ms=200,
        )
        gate = open_gate(section)
        assert gate is not None
        task = asyncio.create_task(gate.pulse())
        await asyncio.sleep(0.1)
        assert read_available(master, 4) == bytes.fromhex("A00101A2")
        assert read_available(master, 4, timeout_s=0.01) == b"", "closed before the pulse ended"
        await task
        assert read_available(master, 4) == bytes.fromhex("A00100A1")
    finally:
        os.close(master)
        os.close(slave)


def test_no_gate_by_default() -> None:
    assert open_gate(GateSection()) is None


async def test_a_missing_relay_port_is_a_plain_error() -> None:
    gate = open_gate(GateSection(kind="serial", port="/dev/ttyUSB-nope", open_hex="01"))
    assert gate is not None
    with pytest.raises(GateError, match="/dev/ttyUSB-nope"):
        await gate.pulse()
