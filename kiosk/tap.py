"""One card, start to verdict: local card checks, subject, verifier (and face) under one deadline.

The plaintext ID number is used once, to compute the subject, and goes nowhere else. A printed
elder QR card (``decide_qr``) carries the subject itself and goes the same way without the face
check (it has no photo); its verdict names QR_VALID last.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import uuid
from collections.abc import Callable
from typing import Any, Protocol

from kiosk.cardcheck import CardCheck, card_facts, check_card
from kiosk.decision import Decision, OfflineData
from kiosk.subject import subject_of
from kiosk.verifier_client import VerifierClient, VerifierUnavailable
from readers import IdCard

log = logging.getLogger(__name__)
QR_VALID = "QR_VALID"


class QrIdentity(Protocol):
    """A verified elder card as the tap sees it (``readers.qr.yztcard.YztCard``)."""

    @property
    def subject(self) -> str: ...

    @property
    def card_type(self) -> str: ...

    @property
    def age_band(self) -> str: ...

    @property
    def issued_at(self) -> dt.datetime: ...

    @property
    def expires_at(self) -> dt.datetime: ...


class PersonHook(Protocol):
    """The face check as the tap sees it (``kiosk.face_hook.FaceHook``)."""

    async def check(self, card: IdCard, timeout_s: float) -> Any: ...

    def apply(self, decision: Decision, person: Any) -> Decision: ...


@dataclasses.dataclass(frozen=True, slots=True)
class Tap:
    """A decided card: what to show, and what to record (never the ID number)."""

    event_id: str
    decision: Decision
    subject: str | None
    card_type: str | None
    age_band: str | None


class TapPipeline:
    def __init__(
        self,
        *,
        site: str,
        pepper: bytes,
        client: VerifierClient,
        offline: OfflineData,
        deadline_s: float,
        person: PersonHook | None = None,
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        self.site = site
        self.pepper = pepper
        self.client = client
        self.offline = offline
        self.deadline_s = deadline_s
        self.person = person
        self.today = today

    async def decide(self, card: IdCard) -> Tap:
        """Verdict for ``card``; always returns within the deadline plus a little."""
        event_id = str(uuid.uuid4())
        check = check_card(card, self.today())
        subject = subject_of(self.pepper, card.id_number)
        body = {
            "subject": subject,
            "site": self.site,
            "event_id": event_id,
            "card": card_facts(card, check),
        }
        if self.person is None:
            decision = await self._online(body, subject, check)
        else:
            decision, person = await asyncio.gather(
                self._online(body, subject, check), self.person.check(card, self.deadline_s)
            )
            decision = self.person.apply(decision, person)
        return Tap(event_id, decision, subject, card.card_type.value, check.age_band)

    async def decide_qr(self, card: QrIdentity) -> Tap:
        """Verdict for a genuine, current elder card: its holder as for a card tap."""
        event_id = str(uuid.uuid4())
        check = CardCheck("ok", (QR_VALID,), card.age_band)
        facts = {
            "card_type": card.card_type,
            "valid_from": card.issued_at.date().isoformat(),
            "valid_until": card.expires_at.date().isoformat(),
            "age_band": card.age_band,
            "id_number_valid": True,
        }
        body = {"subject": card.subject, "site": self.site, "event_id": event_id, "card": facts}
        decision = await self._online(body, card.subject, check)
        reasons = tuple(dict.fromkeys((*decision.reasons, QR_VALID)))
        decision = dataclasses.replace(decision, reasons=reasons)
        return Tap(event_id, decision, card.subject, card.card_type, card.age_band)

    async def _online(self, body: dict[str, Any], subject: str, check: CardCheck) -> Decision:
        try:
            answer = await self.client.verify(body, self.deadline_s)
        except VerifierUnavailable as exc:
            log.info("verifier unavailable, deciding offline: %s", exc)
            return self.offline.decide(subject, check)
        self.offline.remember(subject, answer.verdict, tuple(answer.reasons))
        return Decision(answer.verdict, tuple(answer.reasons), "online")
