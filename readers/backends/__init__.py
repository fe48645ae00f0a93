"""``open_reader(uri)``: one entry point for every reader backend.

Backends are imported only when their scheme is used (pyscard is loaded for ``pcsc://`` alone):

| URI | backend |
|---|---|
| ``sim://DIR`` | virtual card files, no protocol (``readers.backends.sim``) |
| ``serial:///dev/ttyUSB0?baud=115200`` | SAM frames over pyserial (``readers.backends.serial``) |
| ``tcp://host:port`` | SAM frames over TCP (``readers.backends.tcp``) |
| ``pcsc://NAME-SUBSTRING`` | PC/SC through pcscd (``readers.backends.pcsc``) |
"""

from __future__ import annotations

import importlib

from readers.backends.uri import parse_uri
from readers.errors import ReaderURIError
from readers.events import Reader

SCHEMES = {
    "sim": ("readers.backends.sim", "open_sim"),
    "serial": ("readers.backends.serial", "open_serial"),
    "tcp": ("readers.backends.tcp", "open_tcp"),
}


def open_reader(uri: str) -> Reader:
    """The reader for ``uri``; raises ``ReaderURIError`` naming the bad scheme or option.

    Nothing is opened yet: the device is opened (and reopened) by ``reader.events()``.
    """
    if uri.startswith("pcsc://"):
        # Reader names may hold "[" or "]", which generic URL parsing rejects: pcsc parses its own.
        pcsc = importlib.import_module("readers.backends.pcsc")
        return pcsc.open_pcsc_reader(uri)
    parsed = parse_uri(uri)
    if parsed.scheme not in SCHEMES:
        raise ReaderURIError(
            f"unknown reader scheme {parsed.scheme!r} in {uri!r}; "
            "expected sim://, serial://, tcp:// or pcsc://"
        )
    module, function = SCHEMES[parsed.scheme]
    return getattr(importlib.import_module(module), function)(parsed)
