"""Card readers and card data. Imports nothing else of yzt (DESIGN.md §1)."""

from readers.backends import open_reader
from readers.card import CardType, Gender, IdCard, Photo
from readers.errors import CardDataError, ReaderError, ReaderTimeout, ReaderURIError
from readers.events import (
    CardPresent,
    CardRemoved,
    CardUnreadable,
    Reader,
    ReaderEvent,
    ReaderFault,
    ReaderRestored,
)

__all__ = [
    "CardDataError",
    "CardPresent",
    "CardRemoved",
    "CardType",
    "CardUnreadable",
    "Gender",
    "IdCard",
    "Photo",
    "Reader",
    "ReaderError",
    "ReaderEvent",
    "ReaderFault",
    "ReaderRestored",
    "ReaderTimeout",
    "ReaderURIError",
    "open_reader",
]
