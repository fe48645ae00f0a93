"""A verdict with its reasons, where it came from and how old its data is, and the offline
fallback.

The offline path is a plug (``OfflineData``): ``kiosk.offline.OfflineState`` (result cache and
signed risk list) when a risk-list key is configured; without one (``NoOfflineData``), CHECK
"could not verify" — never DENY.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Protocol

from kiosk.verdict import Source, Verdict

if TYPE_CHECKING:
    from kiosk.cardcheck import CardCheck
    from readers.qr import TrustList


@dataclasses.dataclass(frozen=True, slots=True)
class Decision:
    verdict: Verdict
    reasons: tuple[str, ...]
    source: Source
    data_age_s: float | None = None
    """Offline: seconds since the data behind it was current (cached answer or last good sync);
    None for a live answer from the verifier, or when the age is unknown."""


class OfflineData(Protocol):
    """What the kiosk holds for when the verifier does not answer in time
    (``kiosk.offline.OfflineState``)."""

    def decide(self, subject: str, card: CardCheck) -> Decision:
        """The verdict without the verifier: local data only, no network."""

    def remember(self, subject: str, verdict: Verdict, reasons: tuple[str, ...]) -> None:
        """Keep an online answer for later offline taps."""

    def card_revoked(self, key: bytes) -> bool:
        """Whether the local risk list marks this elder card revoked (``key``: its serial's
        ``readers.qr.yztcard.revocation_key``)."""

    def trust_list(self) -> TrustList | None:
        """The health-certificate trust list synced from the verifier; None before one."""

    def status(self) -> dict[str, Any]:
        """At least ``risklist`` {version, entries, age_s} for the status page."""

    async def start(self) -> None:
        """Keep the data current in the background (the daemon's ``start()`` calls it)."""

    async def aclose(self) -> None:
        """Stop and close the files (the daemon's ``aclose()`` calls it)."""


class NoOfflineData:
    """No local data: staff must look; a failed card check is named first."""

    def decide(self, subject: str, card: CardCheck) -> Decision:
        failed = card.reasons if card.outcome == "fail" else ()
        return Decision("CHECK", (*failed, "VERIFY_UNAVAILABLE"), "none")

    def remember(self, subject: str, verdict: Verdict, reasons: tuple[str, ...]) -> None:
        return None

    def card_revoked(self, key: bytes) -> bool:
        return False

    def trust_list(self) -> TrustList | None:
        return None

    def status(self) -> dict[str, Any]:
        return {"risklist": {"version": None, "entries": None, "age_s": None}}

    async def start(self) -> None:
        return None

    async def aclose(self) -> None:
        return None


def unreadable(cause: str, field: str | None) -> Decision:
    """A card on the reader without a usable identity: a reader that cannot read one (``cause``
    ``no_sam``: it gives only the chip serial, so staff look instead of the kiosk guessing), or
    card data that failed validation in ``field``."""
    if cause == "no_sam":
        reason = "READER_NO_IDENTITY"
    elif field == "id_number":
        reason = "CARD_BAD_ID_NUMBER"
    else:
        reason = "CARD_UNREADABLE_IDENTITY"
    return Decision("CHECK", (reason,), "none")
