"""The one event stream every reader backend yields (DESIGN.md §2).

A backend never raises out of its stream: trouble becomes ``ReaderFault`` and the backend keeps
trying; ``ReaderRestored`` follows when it works again.
"""

from __future__ import annotations

import dataclasses
from typing import Protocol, runtime_checkable
from collections.abc import AsyncIterator

from readers.card import IdCard


@dataclasses.dataclass(frozen=True, slots=True)
class CardPresent:
    """A card was placed and read in full."""

    card: IdCard


@dataclasses.dataclass(frozen=True, slots=True)
class CardRemoved:
    """The card that was last reported present has been taken away."""


@dataclasses.dataclass(frozen=True, slots=True)
class ReaderFault:
    """The reader failed (gone, silent, bad answer, card pulled mid-read); ``message`` is plain words."""

    message: str
    code: str = "reader_error"


@dataclasses.dataclass(frozen=True, slots=True)
class ReaderRestored:
    """The reader answers again after a ``ReaderFault``."""


ReaderEvent = CardPresent | CardRemoved | ReaderFault | ReaderRestored


@runtime_checkable
class Reader(Protocol):
    """A card reader opened from a URI; ``events()`` runs until ``aclose()``."""

    uri: str

    def events(self) -> AsyncIterator[ReaderEvent]: ...

    async def aclose(self) -> None: ...
