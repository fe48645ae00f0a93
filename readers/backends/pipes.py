"""Asyncio streams over a character device's descriptor (a serial port or a pty master).

``connect_read_pipe``/``connect_write_pipe`` accept character devices, so a tty needs no thread:
the loop watches the descriptor, and a device that goes away surfaces as EOF or ``OSError``.
"""

from __future__ import annotations

import asyncio
import os


async def open_pipe_streams(fd: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Asyncio streams over duplicates of ``fd`` (the caller may close the original)."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    read_transport, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(os.dup(fd), "rb", buffering=0)
    )
    transport, protocol = await loop.connect_write_pipe(
        lambda: asyncio.StreamReaderProtocol(asyncio.StreamReader()),
        os.fdopen(os.dup(fd), "wb", buffering=0),
    )
    return reader, _PipeWriter(transport, protocol, reader, loop, read_transport)


class _PipeWriter(asyncio.StreamWriter):
    """A writer that closes the read pipe too: both pipes are the one serial device."""

    def __init__(
        self,
        transport: asyncio.WriteTransport,
        protocol: asyncio.StreamReaderProtocol,
        reader: asyncio.StreamReader,
        loop: asyncio.AbstractEventLoop,
        read_transport: asyncio.ReadTransport,
    ) -> None:
        super().__init__(transport, protocol, reader, loop)
        self._read_transport = read_transport

    def close(self) -> None:
        self._read_transport.close()
        super().close()
