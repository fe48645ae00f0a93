"""What the kiosk does with one QR text: a genuine, current elder card goes through the tap
pipeline; everything else is decided here.

- ``YZT1:`` elder card, signature valid, in date, not revoked → ``CardCode`` (the tap pipeline
  looks the holder up: online → cache → risk list).
- elder card refused → ``DecidedCode`` CHECK with QR_INVALID_SIGNATURE, QR_UNKNOWN_KEY,
  QR_EXPIRED or QR_REVOKED (source ``risklist`` for a revocation, else ``none``); a genuine card
  keeps its claims so the event carries the holder's subject.
- ``HC1:`` health certificate → ``DecidedCode`` with the certificate's verdict and reasons,
  checked against the trust list synced from the verifier (kiosk/offline/trustlist.py) once the
  kiosk holds one, else against the ``[qr] trust_list`` file.
- any other QR code (a shop's, a payment code) → ``None``: the kiosk ignores it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kiosk.decision import Decision
from kiosk.qr.config import QrConfig
from kiosk.tap import Tap
from kiosk.verdict import Source, Verdict
from readers.qr import QrError, TrustList, VerifyContext, load_trust_list
from readers.qr.formats import find_format
from readers.qr.result import QrResult
from readers.qr.yztcard import YztCard, load_card_keys, read_card, revocation_key

HC1_CARD_TYPE = "hc1"
"""The event's ``card_type`` for a health certificate shown as a QR code."""


class QrSetupError(Exception):
    """A ``[qr]`` file that cannot be used; the message names the key and the problem."""


@dataclass(frozen=True, slots=True)
class CardCode:
    """A genuine elder card in date and not revoked: the tap pipeline decides."""

    card: YztCard


@dataclass(frozen=True, slots=True)
class DecidedCode:
    """A code decided without the verifier; ``card`` is set for a genuine elder card."""

    format: str
    decision: Decision
    card: YztCard | None = None
    masked_name: str | None = None

    def as_tap(self) -> Tap:
        """The tap to record: a genuine card's holder, card type and age band go into the event;
        a health certificate's event has card type ``hc1`` and nothing else of it (no subject,
        no age band); a refused code of no trusted holder is counted on the kiosk but sends no
        event."""
        card = self.card
        if self.format == "hc1":
            return Tap(str(uuid.uuid4()), self.decision, None, HC1_CARD_TYPE, None)
        if card is None:
            return Tap(str(uuid.uuid4()), self.decision, None, None, None)
        return Tap(str(uuid.uuid4()), self.decision, card.subject, card.card_type, card.age_band)


class CodeReader:
    """Verifies QR texts with the pinned card key, the trust list (``synced`` from the verifier
    when it gives one, else the ``[qr] trust_list`` file) and the risk list."""

    def __init__(
        self,
        config: QrConfig,
        revoked: Callable[[bytes], bool],
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        synced: Callable[[], TrustList | None] = lambda: None,
    ) -> None:
        self.card_keys = None if config.card_key_file is None else card_keys(config.card_key_file)
        self.trust_list = (
            TrustList() if config.trust_list is None else trust_list(config.trust_list)
        )
        self._revoked = revoked
        self._now = now
        self._synced = synced

    def read(self, text: str) -> CardCode | DecidedCode | None:
        """What to do with ``text``; None for a code of no format we verify."""
        known = find_format(text)
        if known is None:
            return None
        synced = self._synced()
        context = VerifyContext(
            at=self._now(),
            trust_list=self.trust_list if synced is None else synced,
            public_key=self.card_keys,
            revoked=lambda serial: self._revoked(revocation_key(serial)),
        )
        if known.name != "yzt":
            result = known.verifier(text, context)
            return DecidedCode(result.format, _decision(result, "none"), None, result.masked_name)
        reading = read_card(text, context)
        if reading.card is not None and reading.result.verdict is None:
            return CardCode(reading.card)
        source: Source = "risklist" if "QR_REVOKED" in reading.result.reasons else "none"
        return DecidedCode("yzt", _decision(reading.result, source), reading.card)


def _decision(result: QrResult, source: Source) -> Decision:
    verdict: Verdict = result.verdict or "CHECK"
    return Decision(verdict, tuple(str(reason) for reason in result.reasons), source)


def card_keys(path: Path) -> bytes:
    """The pinned card key file's content, checked to hold Ed25519 public keys."""
    try:
        pem = path.read_bytes()
        load_card_keys(pem)
    except OSError as exc:
        raise QrSetupError(f"qr.card_key_file: cannot read {path}: {exc.strerror}") from None
    except QrError as exc:
        raise QrSetupError(f"qr.card_key_file: {path}: {exc}") from None
    return pem


def trust_list(path: Path) -> TrustList:
    """The health-certificate trust list at ``path``."""
    try:
        return load_trust_list(path)
    except QrError as exc:
        raise QrSetupError(f"qr.trust_list: {exc}") from None
