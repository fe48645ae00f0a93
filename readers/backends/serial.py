"""``serial:///dev/ttyUSB0?baud=115200``: SAM frames over a UART or USB-serial port (pyserial).

pyserial opens the port and sets 8N1 at the baud rate; the open descriptor is then handed to the
asyncio loop as a read pipe and a write pipe (``readers.backends.pipes``), so no thread sits in a
blocking read and an unplugged adapter shows up at once as an I/O error.
Point the URI at a stable name (``/dev/serial/by-id/…`` or a udev symlink) so that the device
comes back under the same path after a replug.
"""

from __future__ import annotations

import asyncio
import os

import serial

from readers.backends.pipes import open_pipe_streams
from readers.backends.samreader import SamOptions, SamReader
from readers.backends.uri import ReaderURI
from readers.errors import ReaderError, ReaderURIError

BAUD_RATES = (9600, 19200, 38400, 57600, 115200)


def baud_rate(value: str) -> int:
    if not value.isdigit() or int(value) not in BAUD_RATES:
        raise ValueError(f"expected one of {', '.join(map(str, BAUD_RATES))}")
    return int(value)


class SerialReader(SamReader):
    """A SAM module on a serial port; a vanished port is reopened with back-off."""

    def __init__(self, uri: str, path: str, baud: int, options: SamOptions) -> None:
        super().__init__(uri, options)
        self.path = path
        self.baud = baud

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        try:
            port = serial.Serial(self.path, baudrate=self.baud, timeout=0)
        except serial.SerialException as error:
            if isinstance(error.__context__, FileNotFoundError) or not os.path.exists(self.path):
                raise FileNotFoundError(f"{self.path} is not there") from None
            raise ReaderError(f"cannot open {self.path}: {error}") from None
        try:
            port.reset_input_buffer()
            return await open_pipe_streams(port.fileno())
        finally:
            port.close()


def open_serial(uri: ReaderURI) -> SerialReader:
    """Build the reader for ``serial:///dev/ttyX[?baud=N&options]``."""
    if not uri.location.startswith("/"):
        raise ReaderURIError(f"{uri.text}: expected serial:///dev/DEVICE (an absolute path)")
    options, extra = SamOptions.from_uri(uri, {"baud": baud_rate})
    return SerialReader(uri.text, uri.location, extra.get("baud", 115200), options)
