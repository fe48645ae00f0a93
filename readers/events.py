"""The one event stream every reader backend yields (DESIGN.md §2).

A backend never raises out of its stream: trouble becomes ``ReaderFault`` and the backend keeps
trying; ``ReaderRestored`` follows when it works again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Protocol, runtime_checkable

from readers.card import IdCard


@dataclasses.dataclass(frozen=True, slots=True)
class CardPresent:
    """A card was placed and read in full."""

    card: IdCard


@dataclasses.dataclass(frozen=True, slots=True)
class CardRemoved:
    """The card that was last reported present has been taken away."""


@dataclasses.dataclass(frozen=True, slots=True)
class CardUnreadable:
    """A card is on the reader but no valid identity came from it.

    ``reason`` is ``"no_sam"`` (a reader that can only read the chip serial) or ``"card_data"``
    (the record failed validation; ``field`` names the field, e.g. ``"id_number"``). A
    ``CardRemoved`` follows when it is taken away, as for ``CardPresent``.
    """

    reason: str
    message: str
    field: str | None = None
    card_uid: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class ReaderFault:
    """The reader failed (gone, silent, bad answer, card pulled mid-read), in plain words."""

    message: str
    code: str = "reader_error"
    """One of ``reader_error``, ``timeout``, ``card_pulled``, ``sam_status``, ``gone``,
    ``service_gone`` (the platform's card service, pcscd, is not running)."""


@dataclasses.dataclass(frozen=True, slots=True)
class ReaderRestored:
    """The reader answers again after a ``ReaderFault``."""


ReaderEvent = CardPresent | CardUnreadable | CardRemoved | ReaderFault | ReaderRestored


@runtime_checkable
class Reader(Protocol):
    """A card reader opened from a URI; ``events()`` runs until ``aclose()``."""

    uri: str

    def events(self) -> AsyncIterator[ReaderEvent]: ...

    async def aclose(self) -> None: ...
