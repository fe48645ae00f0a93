"""``tcp://host:port``: SAM frames over TCP (network readers, serial bridges, the simulator)."""

from __future__ import annotations

import asyncio

from readers.backends.samreader import SamOptions, SamReader
from readers.backends.uri import ReaderURI, bounded_float
from readers.errors import ReaderTimeout, ReaderURIError


class TcpReader(SamReader):
    """A SAM module reached over TCP; a refused or dropped connection is retried with back-off."""

    def __init__(self, uri: str, host: str, port: int, options: SamOptions, connect_timeout: float):
        super().__init__(uri, options)
        self.host = host
        self.port = port
        self.connect_timeout = connect_timeout

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        try:
            return await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port), self.connect_timeout
            )
        except TimeoutError:
            raise ReaderTimeout(
                f"no TCP connection to {self.host}:{self.port} within {self.connect_timeout:g} s"
            ) from None


def open_tcp(uri: ReaderURI) -> TcpReader:
    """Build the reader for ``tcp://host:port[?options]``."""
    host, sep, port_text = uri.location.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ReaderURIError(f"{uri.text}: expected tcp://HOST:PORT with a port in 1..65535")
    options, extra = SamOptions.from_uri(uri, {"connect_timeout": bounded_float(0.1, 60)})
    return TcpReader(uri.text, host, int(port_text), options, extra.get("connect_timeout", 2.0))
