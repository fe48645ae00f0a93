"""``sim://DIR``: virtual cards from JSON files, no protocol — for demos and kiosk tests.

``DIR`` holds virtual card files (``NAME.json``, the keys of ``readers.cardjson.card_from_json``).
A card is on the reader while ``DIR/.present`` exists; its first line names the card (``NAME`` or
``NAME.json``). Any change to the file's content is a new tap, so the same card can be tapped
twice in a row. ``place_card(DIR, NAME)`` and ``remove_card(DIR)`` do this from Python; from a
shell, ``echo NAME > DIR/.present`` and ``rm DIR/.present``.

The directory is polled every ``poll_ms`` (100 ms by default). A missing directory is a
``ReaderFault(code="gone")`` until it appears; a ``.present`` naming no card file is a
``ReaderFault``; a card file that cannot be read or fails validation is ``CardUnreadable`` (the
reader keeps watching for the next card), whatever the file holds.
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

from readers.backends.base import Alive, ReopeningReader
from readers.backends.uri import ReaderURI, bounded_float, bounded_int
from readers.backoff import Backoff
from readers.cardjson import read_card_file
from readers.errors import CardDataError, ReaderURIError
from readers.events import CardPresent, CardRemoved, CardUnreadable, ReaderEvent, ReaderFault

PRESENT_FILE = ".present"
PRESENT_MAX_CHARS = 4096
"""Only the start of ``.present`` is read: a name and a tap stamp fit many times over."""


def place_card(directory: str | os.PathLike[str], name: str) -> None:
    """Put card ``name`` on the ``sim://directory`` reader (a new tap even if it was there)."""
    path = Path(directory) / PRESENT_FILE
    temporary = path.with_name(f"{PRESENT_FILE}.{os.getpid()}.tmp")
    temporary.write_text(f"{name}\n{time.time_ns()}\n", encoding="utf-8")
    temporary.replace(path)


def remove_card(directory: str | os.PathLike[str]) -> None:
    """Take the card off the ``sim://directory`` reader."""
    (Path(directory) / PRESENT_FILE).unlink(missing_ok=True)


class SimReader(ReopeningReader):
    """Watches ``DIR/.present`` and turns its changes into card events."""

    def __init__(self, uri: str, directory: Path, poll_ms: int, backoff_max: float) -> None:
        super().__init__(uri, backoff=Backoff(cap=backoff_max))
        self.directory = directory
        self.poll_ms = poll_ms

    async def _release(self) -> None:
        """Nothing to close: the directory is read afresh on every poll."""

    async def _session(self) -> AsyncIterator[ReaderEvent]:
        shown: str | None = None
        reported = False
        while not self.closed:
            if not self.directory.is_dir():
                raise FileNotFoundError(f"{self.directory} is not a directory")
            yield Alive()
            content = _read_present(self.directory / PRESENT_FILE)
            if content != shown:
                if reported:
                    yield CardRemoved()
                shown, reported = content, False
                if content is not None:
                    event = self._load(content.splitlines()[0].strip() if content.strip() else "")
                    reported = isinstance(event, CardPresent | CardUnreadable)
                    yield event
            await self.sleep(self.poll_ms / 1000)

    def _load(self, name: str) -> ReaderEvent:
        path = self.directory / (name if name.endswith(".json") else f"{name}.json")
        try:
            found = bool(name) and "/" not in name and path.is_file()
        except OSError:  # a name too long for the file system
            found = False
        if not found:
            shown = name[:64] + ("…" if len(name) > 64 else "")
            return ReaderFault(f"{PRESENT_FILE} names no card file in {self.directory}: {shown!r}")
        try:
            return CardPresent(read_card_file(path))
        except CardDataError as error:
            return CardUnreadable(
                reason="card_data", message=f"{path.name}: {error}", field=error.field
            )
        except OSError as error:
            return CardUnreadable(
                reason="card_data", message=f"{path.name}: cannot read ({error.strerror})"
            )


def _read_present(path: Path) -> str | None:
    try:
        with path.open(encoding="utf-8", errors="replace") as file:
            return file.read(PRESENT_MAX_CHARS)
    except FileNotFoundError:
        return None


def open_sim(uri: ReaderURI) -> SimReader:
    """Build the reader for ``sim://DIR[?poll_ms=N]``."""
    if not uri.location:
        raise ReaderURIError(f"{uri.text}: expected sim://DIR (a directory of card files)")
    options = uri.options(
        {"poll_ms": bounded_int(10, 2000), "backoff_max": bounded_float(0.1, 300)}
    )
    return SimReader(
        uri.text,
        Path(uri.location),
        options.get("poll_ms", 100),
        options.get("backoff_max", 5.0),
    )
