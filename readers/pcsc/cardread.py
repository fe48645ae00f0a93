"""Reading one card on a connected PC/SC reader, as its profile says.

``sam-record``-like profiles: the ATR must carry the SAM's "read done" signal, then the paged
APDU is sent for pages ``0..pages-1`` and the answers are joined into the record (the last page
may be short: only ``length`` bytes are kept) → ``IdCard`` → ``CardPresent``.
``serial-only``-like profiles: one APDU gives the chip serial → ``CardUnreadable("no_sam")``.

Card data that fails validation becomes ``CardUnreadable("card_data", field=…)``; a wrong status
word, a short answer or a missing ATR signal raises ``CardReadError`` (a ``ReaderFault`` for the
caller), never a partial card; ``NoAnswer`` when not even a status word came back.
"""

from __future__ import annotations

from typing import Protocol

from readers.errors import CardDataError, ReaderError
from readers.events import CardPresent, CardUnreadable
from readers.pcsc.profiles import Profile
from readers.record import parse_record

NO_SAM_MESSAGE = "this reader cannot read identity"


class CardReadError(ReaderError):
    """The reader answered, but not with the card; ``code`` is the ``ReaderFault`` code."""

    def __init__(self, message: str, code: str = "reader_error") -> None:
        self.code = code
        super().__init__(message)


class NoAnswer(CardReadError):
    """An APDU came back without even a status word: usually the card was just pulled."""


class Transmitter(Protocol):
    def transmit(self, apdu: bytes) -> bytes: ...


def _hex(data: bytes) -> str:
    return data.hex(" ").upper()


def check_atr(atr: bytes, profile: Profile) -> None:
    """Refuse a card whose ATR lacks the profile's signal (the SAM did not finish a read)."""
    if profile.matches_atr(atr):
        return
    assert profile.atr_offset is not None
    last = profile.atr_offset + len(profile.atr_bytes) - 1
    seen = atr[profile.atr_offset : last + 1]
    raise CardReadError(
        f"the reader did not signal a finished read: ATR bytes {profile.atr_offset}–{last} are "
        f"{_hex(seen) or 'missing'}, expected {_hex(profile.atr_bytes)} "
        "(a reader without SAM needs ?profile=serial-only)",
        code="sam_status",
    )


def fetch(card: Transmitter, profile: Profile) -> bytes:
    """Send the profile's APDU for every page; exactly ``profile.length`` bytes or an error."""
    data = b""
    for page in range(profile.pages):
        apdu = profile.page_apdu(page)
        response = card.transmit(apdu)
        what = f"page {page} ({_hex(apdu)})" if profile.page_byte is not None else _hex(apdu)
        if len(response) < 2:
            raise NoAnswer(f"{what} got no answer")
        status, body = response[-2:], response[:-2]
        if status != profile.ok_status:
            raise CardReadError(
                f"{what} answered status {_hex(status)}, expected {_hex(profile.ok_status)}",
                code="sam_status",
            )
        wanted = min(profile.page_size, profile.length - len(data))
        if len(body) < wanted:
            raise CardReadError(f"{what} gave {len(body)} bytes, expected {wanted}")
        data += body[:wanted]
        if len(data) == profile.length:
            return data
    raise CardReadError(f"the card gave {len(data)} bytes, expected {profile.length}")


def read_card(card: Transmitter, atr: bytes, profile: Profile) -> CardPresent | CardUnreadable:
    """The event for the card on the reader (see the module docstring)."""
    check_atr(atr, profile)
    data = fetch(card, profile)
    if profile.yields == "card_uid":
        return CardUnreadable(reason="no_sam", message=NO_SAM_MESSAGE, card_uid=data.hex())
    try:
        return CardPresent(parse_record(data, with_fingerprint=False))
    except CardDataError as error:
        return CardUnreadable(reason="card_data", message=str(error), field=error.field)
