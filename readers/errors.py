"""Every error the readers package raises, in two families: card data and reader I/O.

::

    ReadersError
    ├── CardDataError (ValueError)      bytes that do not form a valid card record
    │   ├── CardLengthError             a block, record or field of the wrong size
    │   ├── CardEncodingError           not UTF-16LE text, or text where digits belong
    │   ├── CardDateError               not a real YYYYMMDD date, or dates in an impossible order
    │   ├── CardCodeError               an unknown gender, ethnicity, nationality or type code
    │   ├── CardMissingFieldError       a required field that holds only padding
    │   ├── CardCheckDigitError         an ID number whose GB 11643 check digit is wrong
    │   └── CardMismatchError           two fields that contradict each other
    ├── ReaderError (OSError)           a reader that cannot be opened or stopped answering
    │   └── ReaderTimeout (TimeoutError)
    └── ReaderURIError (ValueError)     a reader URI naming no backend or with bad parameters

Messages name the field or frame byte and what was expected, and never contain an ID number.
"""

from __future__ import annotations

HIDDEN_FIELDS = frozenset({"id_number"})


class ReadersError(Exception):
    """Base of everything raised on purpose by ``readers``."""


class CardDataError(ReadersError, ValueError):
    """Card bytes that do not form a valid record.

    ``field`` names the field, ``offset`` the byte offset in the block, ``data`` the offending
    bytes, shown in hex in the message; ``reason`` is the message without field and bytes. For
    the ID number the bytes are dropped, not just hidden, so no handler can log them.
    """

    def __init__(
        self, field: str, message: str, *, offset: int | None = None, data: bytes | None = None
    ) -> None:
        self.field = field
        self.offset = offset
        self.data = None if field in HIDDEN_FIELDS else data
        self.reason = message
        where = f" at byte {offset}" if offset is not None else ""
        shown = ""
        if self.data is not None:
            shown = f" (bytes {self.data[:16].hex(' ')}{' …' if len(self.data) > 16 else ''})"
        super().__init__(f"{field}{where}: {message}{shown}")


class CardLengthError(CardDataError):
    """A block, record or field whose size is not the one the layout fixes."""


class CardEncodingError(CardDataError):
    """Bytes that are not valid UTF-16LE text, or characters where only digits belong."""


class CardDateError(CardDataError):
    """A date field that is not a real calendar date, or dates in an impossible order."""


class CardCodeError(CardDataError):
    """A coded field (gender, ethnicity, nationality, card type) holding an unknown code."""


class CardMissingFieldError(CardDataError):
    """A field the card always carries (name, ID number, address, issuer) left blank."""


class CardCheckDigitError(CardDataError):
    """An ID number whose GB 11643 (ISO 7064 MOD 11-2) check digit does not match."""


class CardMismatchError(CardDataError):
    """Two fields of one card that contradict each other (gender digit vs gender field)."""


class ReaderError(ReadersError, OSError):
    """A reader that cannot be opened, stopped answering or answered something unusable."""


class ReaderTimeout(ReaderError, TimeoutError):
    """A reader step that did not answer within its timeout."""


class ReaderURIError(ReadersError, ValueError):
    """A reader URI that names no known backend or has bad parameters."""
