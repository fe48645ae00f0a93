"""The offline verdict: a fresh cached result, else the risk list while it is fresh, else CHECK.

Order (docs/offline.md): 1. the verifier's own answer for this subject from the result cache;
2. the risk list if its data is younger than the freshness window (its age at the last good sync,
from the verifier's clock, plus the time since: freshness.py) — listed subjects get the verdict
their flags map to, everyone else ``offline_pass`` (PASS, or CHECK where the site wants
staff to look at everyone while offline); 3. otherwise CHECK with VERIFY_UNAVAILABLE (and
RISKLIST_STALE when a list exists but is too old). Offline never denies anyone the list does not
name. A card the kiosk itself finds invalid (expired, not yet valid) is at least CHECK.
"""

from __future__ import annotations

import dataclasses

from kiosk.cardcheck import CardCheck
from kiosk.decision import Decision
from kiosk.offline.cache import ResultCache
from kiosk.offline.config import OfflineConfig
from kiosk.offline.freshness import Freshness
from kiosk.offline.risklist import (
    CARD_REPORTED,
    CODE_RED,
    CODE_YELLOW,
    KNOWN_FLAGS,
    TRAVEL_HIGH,
    TRAVEL_MEDIUM,
    RiskListStore,
)
from kiosk.verdict import VERDICTS, Verdict, as_verdict, strictest


class OfflineDecider:
    def __init__(
        self,
        config: OfflineConfig,
        cache: ResultCache,
        risklist: RiskListStore,
        freshness: Freshness,
    ) -> None:
        self.config = config
        self.cache = cache
        self.risklist = risklist
        self.freshness = freshness
        self.rules: tuple[tuple[int, str, Verdict], ...] = (
            (CODE_RED, "CODE_RED", config.code_red),
            (CODE_YELLOW, "CODE_YELLOW", config.code_yellow),
            (CARD_REPORTED, "CARD_REPORTED_LOST", config.card_reported),
            (TRAVEL_HIGH, "TRAVEL_RISK_AREA", config.travel_high),
            (TRAVEL_MEDIUM, "TRAVEL_RISK_AREA", config.travel_medium),
        )

    def decide(self, subject: str, card: CardCheck) -> Decision:
        """The verdict for ``subject`` without the verifier; microseconds, no network."""
        return _with_card(self._decide(subject), card)

    def _decide(self, subject: str) -> Decision:
        cached = self.cache.get(subject)
        if cached is not None:
            verdict = as_verdict(cached.verdict)
            return Decision(verdict, cached.reasons, "cache", self.cache.age_s(cached))
        age = self.freshness.age_s()
        listed = self.risklist.info() is not None
        reasons: tuple[str, ...]
        if not listed or age is None or age > self.config.freshness_window_s:
            reasons = (
                ("VERIFY_UNAVAILABLE", "RISKLIST_STALE") if listed else ("VERIFY_UNAVAILABLE",)
            )
            return Decision("CHECK", reasons, "none", age)
        flags = self.risklist.flags(subject)
        if flags == 0:
            reasons = () if self.config.offline_pass == "PASS" else ("VERIFY_UNAVAILABLE",)
            return Decision(self.config.offline_pass, reasons, "risklist", age)
        verdict, reasons = self._flagged(flags)
        return Decision(verdict, reasons, "risklist", age)

    def _flagged(self, flags: int) -> tuple[Verdict, tuple[str, ...]]:
        """The strictest verdict of the flags set; the reasons strictest first."""
        hits: list[tuple[Verdict, str]] = [
            (verdict, reason) for bit, reason, verdict in self.rules if flags & bit
        ]
        if flags & ~KNOWN_FLAGS:
            hits.append(("CHECK", "VERIFY_UNAVAILABLE"))
        ordered = sorted(hits, key=lambda hit: -VERDICTS.index(hit[0]))
        return ordered[0][0], tuple(dict.fromkeys(reason for _, reason in ordered))


def _with_card(decision: Decision, card: CardCheck) -> Decision:
    """A card that failed the kiosk's own check makes staff look, named first."""
    if card.outcome != "fail":
        reasons = decision.reasons or (tuple(card.reasons) if decision.verdict == "PASS" else ())
        return dataclasses.replace(decision, reasons=reasons)
    verdict = strictest(decision.verdict, "CHECK")
    reasons = tuple(dict.fromkeys((*card.reasons, *decision.reasons)))
    return dataclasses.replace(decision, verdict=verdict, reasons=reasons)
