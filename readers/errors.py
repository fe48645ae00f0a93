"""Every error the readers package raises, in two families: card data and reader I/O.

Messages name the field or frame byte and what was expected, and never contain an ID number.
"""

from __future__ import annotations


class ReadersError(Exception):
    """Base of everything raised on purpose by ``readers``."""


class CardDataError(ReadersError, ValueError):
    """Card bytes that do not form a valid record.

    ``field`` names the field, ``offset`` the byte offset in the block, ``data`` the offending
    bytes (shown in hex in the message unless the field is the ID number).
    """

    def __init__(
        self, field: str, message: str, *, offset: int | None = None, data: bytes | None = None
    ) -> None:
        self.field = field
        self.offset = offset
        self.data = data
        where = f" at byte {offset}" if offset is not None else ""
        shown = ""
        if data is not None and field != "id_number":
            shown = f" (bytes {data[:16].hex(' ')}{' …' if len(data) > 16 else ''})"
        super().__init__(f"{field}{where}: {message}{shown}")


class ReaderError(ReadersError, OSError):
    """A reader that cannot be opened, stopped answering or answered something unusable."""


class ReaderTimeout(ReaderError, TimeoutError):
    """A reader step that did not answer within its timeout."""


class ReaderURIError(ReadersError, ValueError):
    """A reader URI that names no known backend or has bad parameters."""
