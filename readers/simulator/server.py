"""Serving the simulated SAM over TCP or a pty, with the wire time of a real UART.

A pty does not throttle, so by default the pty answers only after the time the request and the
answer would take on the wire at ``baud`` (10 bits a byte, 8N1): the 1295-byte answer to a read
takes 112 ms at 115200 baud, as on a real reader. TCP answers at once unless asked otherwise.

``unplug()`` drops every listener and connection (and removes a pty's symlink, as udev does when
a USB adapter goes), so tests can make the device vanish and then ``serve_*`` it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import pty
import tty
from pathlib import Path
from typing import Any

from readers.backends.pipes import open_pipe_streams
from readers.sam.frames import FrameError, RequestDecoder
from readers.simulator.deck import CardDeck
from readers.simulator.module import Answer, Fault, SamModule

SPLIT_AT = (1, 3, 6, 7, 9)
SPLIT_PAUSE = 0.002


class SamSimulator:
    """A SAM module serving virtual cards; see ``readers.simulator`` for the API."""

    def __init__(self, deck: CardDeck, *, baud: int = 115200) -> None:
        self.module = SamModule(deck)
        self.baud = baud
        self._servers: list[asyncio.Server] = []
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._ptys: list[tuple[int, int, Path | None]] = []

    @property
    def deck(self) -> CardDeck:
        return self.module.deck

    @property
    def card(self) -> str | None:
        """The card in the field, if any."""
        return self.module.card

    def insert(self, name: str) -> None:
        self.module.insert(name)

    def remove(self) -> None:
        self.module.remove()

    def inject(
        self, fault: Fault, times: int = 1, *, sw3: int = 0x24, command: str | None = None
    ) -> None:
        self.module.inject(fault, times, sw3=sw3, command=command)

    def clear_faults(self) -> None:
        self.module.clear_faults()

    async def serve_tcp(
        self, host: str = "127.0.0.1", port: int = 0, *, wire_time: bool = False
    ) -> int:
        """Listen on ``host:port`` (0 = any free port); return the bound port."""

        async def on_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self._track(asyncio.current_task())
            await self._serve(reader, writer, wire_time)

        server = await asyncio.start_server(on_client, host, port)
        self._servers.append(server)
        return int(server.sockets[0].getsockname()[1])

    def serve_pty(self, link: str | Path | None = None, *, wire_time: bool = True) -> str:
        """Open a raw-mode pty and serve on it; return the device path (``link`` if given).

        ``link`` is a symlink kept pointing at the current pty, the way udev names a USB-serial
        adapter, so a reader URI survives ``unplug()`` and a new ``serve_pty``.
        """
        master, slave = pty.openpty()
        tty.setraw(slave)
        path = os.ttyname(slave)
        link_path = Path(link) if link is not None else None
        if link_path is not None:
            temporary = link_path.with_name(f".{link_path.name}.tmp")
            temporary.unlink(missing_ok=True)
            temporary.symlink_to(path)
            temporary.replace(link_path)
        self._ptys.append((master, slave, link_path))
        self._track(asyncio.get_running_loop().create_task(self._serve_pty(master, wire_time)))
        return str(link_path) if link_path is not None else path

    def _track(self, task: asyncio.Task[Any] | None) -> None:
        if task is not None:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _serve_pty(self, master: int, wire_time: bool) -> None:
        try:
            reader, writer = await open_pipe_streams(master)
        except OSError:
            return  # unplugged before serving began
        await self._serve(reader, writer, wire_time)

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, wire_time: bool
    ) -> None:
        self._writers.add(writer)
        decoder = RequestDecoder()
        try:
            while chunk := await reader.read(4096):
                await self._handle(decoder, chunk, writer, wire_time)
        except (OSError, RuntimeError):
            pass  # the host went away or unplug() closed the connection
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _handle(
        self, decoder: RequestDecoder, chunk: bytes, writer: asyncio.StreamWriter, wire_time: bool
    ) -> None:
        data = chunk
        while True:
            try:
                requests = decoder.feed(data)
            except FrameError as error:
                await self._send(writer, self.module.answer_error(error), 10, wire_time)
                data = b""
                continue
            if not requests:
                return
            data = b""
            for request in requests:
                answer = self.module.answer(request)
                await self._send(writer, answer, len(request.encode()), wire_time)

    async def _send(
        self, writer: asyncio.StreamWriter, answer: Answer, request_len: int, wire_time: bool
    ) -> None:
        if answer.frame is None:
            return
        if wire_time:
            await asyncio.sleep(wire_seconds(request_len + len(answer.frame), self.baud))
        pieces = split_frame(answer.frame) if answer.split else [answer.frame]
        for index, piece in enumerate(pieces):
            if index:
                await asyncio.sleep(SPLIT_PAUSE)
            writer.write(piece)
            await writer.drain()

    async def unplug(self) -> None:
        """Close every listener, connection and pty, as if the device were pulled out."""
        for server in self._servers:
            server.close()
        self._servers.clear()
        for writer in list(self._writers):
            writer.close()
        for master, slave, link in self._ptys:
            if link is not None:
                link.unlink(missing_ok=True)
            for fd in (master, slave):
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._ptys.clear()
        if self._tasks:
            _, stuck = await asyncio.wait(list(self._tasks), timeout=1.0)
            for task in stuck:
                task.cancel()

    async def aclose(self) -> None:
        await self.unplug()


def wire_seconds(byte_count: int, baud: int) -> float:
    """Time ``byte_count`` bytes take on a UART at ``baud`` (8N1: 10 bits a byte)."""
    return byte_count * 10 / baud


def split_frame(frame: bytes) -> list[bytes]:
    """Cut a frame inside its preamble, inside LEN, after the header, then in 200-byte pieces."""
    cuts = [*SPLIT_AT, *range(SPLIT_AT[-1] + 200, len(frame), 200)]
    cuts = [0, *[c for c in cuts if c < len(frame)], len(frame)]
    return [frame[a:b] for a, b in itertools.pairwise(cuts) if b > a]
