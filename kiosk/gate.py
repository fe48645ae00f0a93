"""The optional gate: on PASS, close a serial relay for ``pulse_ms`` then release it.

Relay boards differ only in their byte commands, so both are configured in hex. A relay that
fails is reported to staff and never stops the kiosk.
"""

from __future__ import annotations

import asyncio
import logging

import serial

from kiosk.config import GateSection

log = logging.getLogger(__name__)


class GateError(Exception):
    """The relay could not be driven (message names the port)."""


class SerialGate:
    def __init__(self, section: GateSection) -> None:
        assert section.port is not None
        self.port = section.port
        self.baud = section.baud
        self.open_bytes = bytes.fromhex(section.open_hex)
        self.close_bytes = bytes.fromhex(section.close_hex)
        self.pulse_s = section.pulse_ms / 1000
        self._lock = asyncio.Lock()

    async def pulse(self) -> None:
        """Open, wait, close; one pulse at a time."""
        async with self._lock:
            await asyncio.to_thread(self._write, self.open_bytes)
            await asyncio.sleep(self.pulse_s)
            if self.close_bytes:
                await asyncio.to_thread(self._write, self.close_bytes)

    def _write(self, data: bytes) -> None:
        try:
            with serial.Serial(self.port, self.baud, timeout=1, write_timeout=1) as port:
                port.write(data)
                port.flush()
        except (serial.SerialException, OSError) as exc:
            raise GateError(f"gate relay on {self.port}: {exc}") from None


def open_gate(section: GateSection) -> SerialGate | None:
    """The configured gate, or ``None`` when the kiosk has none."""
    return SerialGate(section) if section.kind == "serial" else None
