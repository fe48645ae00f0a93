"""The simulator's cards: virtual card files loaded once, records encoded on demand."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from readers.card import IdCard
from readers.cardjson import read_card_file
from readers.errors import CardDataError
from readers.record import encode_appended_address, encode_record

DEMO_CARDS = Path(__file__).parent / "demo_cards"
"""The shipped demo deck (package data): ``--cards demo`` wherever ``yzt`` is installed. Its
ID numbers are made up for the demo (valid check digits, nobody's); like any card's, they are
hashed at the kiosk and never logged or stored."""
DEMO = "demo"


class DeckError(ValueError):
    """A card file that cannot be used, or a card name the deck does not hold."""


class CardDeck:
    """Named virtual cards (name = file stem) and their SAM answers."""

    def __init__(self, cards: Mapping[str, IdCard]) -> None:
        self._cards = dict(cards)
        self._records: dict[tuple[str, bool], bytes] = {}

    @classmethod
    def from_dir(cls, path: str | Path) -> CardDeck:
        """Load every ``*.json`` card file of ``path`` (``demo``, when no such directory exists
        here: the shipped demo deck); a bad file raises ``DeckError``."""
        directory = Path(path)
        if str(path) == DEMO and not directory.is_dir():
            directory = DEMO_CARDS
        if not directory.is_dir():
            raise DeckError(f"{directory}: not a directory of card files")
        cards: dict[str, IdCard] = {}
        for file in sorted(directory.glob("*.json")):
            try:
                cards[file.stem] = read_card_file(file)
            except CardDataError as error:
                raise DeckError(f"{file.name}: {error}") from None
            except OSError as error:
                raise DeckError(f"{file.name}: cannot read ({error.strerror})") from None
        return cls(cards)

    @property
    def names(self) -> list[str]:
        return sorted(self._cards)

    def card(self, name: str) -> IdCard:
        try:
            return self._cards[name]
        except KeyError:
            have = ", ".join(self.names) or "none"
            raise DeckError(f"no card {name!r} in the deck (cards: {have})") from None

    def record(self, name: str, with_fingerprint: bool) -> bytes:
        """The data of a ``30 01`` (or ``30 10``) answer for card ``name``, encoded once."""
        key = (name, with_fingerprint)
        if key not in self._records:
            self._records[key] = encode_record(self.card(name), with_fingerprint=with_fingerprint)
        return self._records[key]

    def appended_address(self, name: str) -> bytes | None:
        """The 70-byte ``30 03`` answer (UCS-2LE, space padded), or None when there is none."""
        text = self.card(name).appended_address
        return encode_appended_address(text) if text else None
