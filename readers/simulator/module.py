"""The simulated SAM module: the card in the field, its read state, and injected faults.

Behaviour, per the protocol notes (and documented in docs/readers.md):

- find (``20 01``): ``9F`` + 4 bytes when a card is in the field and has not been read since it
  was placed; ``80`` when there is no card *or the card was already read* — only taking it away
  and placing it again makes find succeed again.
- select (``20 02``): ``90`` + 8 bytes after a successful find, and also later while the card
  stays in the field (which is how a host tells "still there" from "gone"); ``81`` otherwise.
- read (``30 01``, ``30 10``) and appended address (``30 03``): need a selected card; ``41``
  otherwise. ``30 03`` answers ``91`` when the card has no appended address.
- reset, status, SAM ID, set RF bytes: ``90``; anything else ``21``; a request with a bad checksum
  ``10``, with a bad length ``11``.

Faults are queued with ``inject`` and each one is used up by the next matching command(s).
"""

from __future__ import annotations

import dataclasses
import enum

from readers.sam.frames import ChecksumError, FrameError, Request, encode_response
from readers.simulator.deck import CardDeck

NOISE = bytes.fromhex("AA AA 00 FF 96 69 AA 55 AA AA AA 96 00 13 AA")

SAM_ID = (
    (5).to_bytes(2, "little")
    + (1).to_bytes(2, "little")
    + (20261128).to_bytes(4, "little")
    + (1).to_bytes(4, "little")
    + (4242).to_bytes(4, "little")
)

FIND = (0x20, 0x01)
SELECT = (0x20, 0x02)
READ = (0x30, 0x01)
READ_FP = (0x30, 0x10)
ADDRESS = (0x30, 0x03)
COMMANDS = {
    "find": {FIND},
    "select": {SELECT},
    "read": {READ, READ_FP},
    "address": {ADDRESS},
    "status": {(0x11, 0xFF)},
}


class Fault(enum.Enum):
    """Faults the simulator can inject; each applies to the next matching command(s)."""

    BAD_CHECKSUM = "bad-checksum"
    """The answer's CHK byte is wrong."""
    SPLIT_FRAMES = "split"
    """The answer is written in small pieces with pauses (as slow USB bridges do)."""
    SILENCE = "silence"
    """No answer at all."""
    SW3 = "sw3"
    """The answer is this SW3 code with no data (by default to the next read)."""
    PULL_BEFORE_READ = "pull"
    """The card leaves the field just before the read: the read answers ``41``."""
    NOISE = "noise"
    """Line noise before the answer: bytes that hold no preamble, even with the answer's."""


DEFAULT_TARGETS: dict[Fault, str | None] = {Fault.SW3: "read", Fault.PULL_BEFORE_READ: "read"}


class Phase(enum.Enum):
    ABSENT = "absent"
    IN_FIELD = "in_field"
    FOUND = "found"
    SELECTED = "selected"
    READ = "read"


@dataclasses.dataclass(slots=True)
class Injection:
    fault: Fault
    remaining: int
    sw3: int
    targets: set[tuple[int, int]] | None

    def matches(self, request: Request) -> bool:
        return self.targets is None or (request.cmd, request.para) in self.targets


@dataclasses.dataclass(frozen=True, slots=True)
class Answer:
    """What to send back: ``frame`` None means silence; ``split`` writes it in pieces."""

    frame: bytes | None
    split: bool = False


class SamModule:
    """The SAM's state machine, free of I/O so that every transport shares it."""

    def __init__(self, deck: CardDeck) -> None:
        self.deck = deck
        self.card: str | None = None
        self.phase = Phase.ABSENT
        self._faults: list[Injection] = []

    def insert(self, name: str) -> None:
        """Place card ``name`` in the field (taking away any card that was there)."""
        self.deck.card(name)
        self.card, self.phase = name, Phase.IN_FIELD

    def remove(self) -> None:
        self.card, self.phase = None, Phase.ABSENT

    def inject(
        self, fault: Fault, times: int = 1, *, sw3: int = 0x24, command: str | None = None
    ) -> None:
        """Queue ``fault`` for the next ``times`` matching commands (``command``: a name of
        ``COMMANDS`` or ``"any"``; SW3 and pull default to ``"read"``, the others to any)."""
        if times < 1:
            raise ValueError("times must be at least 1")
        if not 0 <= sw3 <= 0xFF:
            raise ValueError("sw3 must be one byte (00..FF)")
        target = command or DEFAULT_TARGETS.get(fault)
        if target not in (None, "any", *COMMANDS):
            raise ValueError(f"unknown command {target!r}; expected one of {', '.join(COMMANDS)}")
        targets = None if target in (None, "any") else COMMANDS[target]
        self._faults.append(Injection(fault, times, sw3, targets))

    def clear_faults(self) -> None:
        self._faults.clear()

    @property
    def pending_faults(self) -> list[str]:
        return [f"{i.fault.value}×{i.remaining}" for i in self._faults]

    def answer_error(self, error: FrameError) -> Answer:
        """The answer to a request frame that could not be decoded."""
        return Answer(encode_response(0x10 if isinstance(error, ChecksumError) else 0x11))

    def answer(self, request: Request) -> Answer:
        if self._take(Fault.SILENCE, request):
            return Answer(None)
        frame = self._faulty(request) or self._respond(request)
        if self._take(Fault.BAD_CHECKSUM, request):
            frame = frame[:-1] + bytes((frame[-1] ^ 0xFF,))
        if self._take(Fault.NOISE, request):
            frame = NOISE + frame
        return Answer(frame, split=self._take(Fault.SPLIT_FRAMES, request) is not None)

    def _faulty(self, request: Request) -> bytes | None:
        if self._take(Fault.PULL_BEFORE_READ, request):
            self.remove()
            return encode_response(0x41)
        injection = self._take(Fault.SW3, request)
        if injection is None:
            return None
        if (request.cmd, request.para) in COMMANDS["read"] and self.card is not None:
            self.phase = Phase.READ
        return encode_response(injection.sw3)

    def _take(self, fault: Fault, request: Request) -> Injection | None:
        for injection in self._faults:
            if injection.fault is fault and injection.matches(request):
                injection.remaining -= 1
                if injection.remaining == 0:
                    self._faults.remove(injection)
                return injection
        return None

    def _respond(self, request: Request) -> bytes:
        key = (request.cmd, request.para)
        if key == FIND:
            return self._find()
        if key == SELECT:
            return self._select()
        if key in (READ, READ_FP):
            return self._read(key == READ_FP)
        if key == ADDRESS:
            return self._address()
        if key == (0x12, 0xFF):
            return encode_response(0x90, SAM_ID)
        if key in {(0x10, 0xFF), (0x11, 0xFF)} or (key == (0x61, 0xFF) and request.data):
            return encode_response(0x90)
        return encode_response(0x21)

    def _find(self) -> bytes:
        if self.phase in (Phase.ABSENT, Phase.READ):
            return encode_response(0x80)
        self.phase = Phase.FOUND
        return encode_response(0x9F, bytes(4))

    def _select(self) -> bytes:
        if self.phase in (Phase.ABSENT, Phase.IN_FIELD):
            return encode_response(0x81)
        if self.phase is Phase.FOUND:
            self.phase = Phase.SELECTED
        return encode_response(0x90, bytes(8))

    def _read(self, with_fingerprint: bool) -> bytes:
        if self.card is None or self.phase not in (Phase.SELECTED, Phase.READ):
            return encode_response(0x41)
        self.phase = Phase.READ
        return encode_response(0x90, self.deck.record(self.card, with_fingerprint))

    def _address(self) -> bytes:
        if self.card is None or self.phase not in (Phase.SELECTED, Phase.READ):
            return encode_response(0x41)
        address = self.deck.appended_address(self.card)
        return encode_response(0x91) if address is None else encode_response(0x90, address)
