"""The four checks (person, card, code, travel) from what the store knows and what the kiosk saw.

Pure functions; the profile says what each reason means, ``policy.decide`` makes the verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from verifier.policy import Check, Outcome, Profile, Verdict, decide, outcome_of, worst
from verifier.store.people import CardRecord, CodeRecord, Facts, Visit

REPORTED = frozenset({"lost", "stolen", "revoked"})


@dataclass(frozen=True)
class CardSeen:
    """The card facts a kiosk read (never the ID number itself)."""

    valid_from: date | None
    valid_until: date | None
    id_number_valid: bool


@dataclass(frozen=True)
class PersonSeen:
    """The kiosk's face check, when it sends one."""

    outcome: Outcome
    reasons: list[str]


def _check(profile: Profile, reasons: list[str], verdict: Verdict | None = None) -> Check:
    verdict = verdict or worst([profile.verdict_of(r) for r in reasons])
    return Check(outcome_of(verdict, reasons), reasons, verdict)


def code_check(code: CodeRecord | None, profile: Profile, now: datetime) -> Check:
    """Colour of the health code; a stale (or missing) NAT when the profile requires one."""
    if code is None:
        return _check(profile, ["CODE_NO_RECORD"])
    reasons = [f"CODE_{code.color.upper()}"]
    max_age = profile.code.nat_max_age_hours
    if max_age > 0 and (code.nat_at is None or now - code.nat_at > timedelta(hours=max_age)):
        reasons.append("CODE_NAT_STALE")
    return _check(profile, reasons)


def card_check(
    seen: CardSeen | None, record: CardRecord | None, profile: Profile, today: date
) -> Check:
    """Validity dates and check digit as the kiosk saw them, and the lost/stolen feed. With no
    card in hand (support-desk lookup) only the feed counts."""
    reasons: list[str] = []
    if seen is not None:
        if not seen.id_number_valid:
            reasons.append("CARD_BAD_ID_NUMBER")
        if seen.valid_until is not None and seen.valid_until < today:
            reasons.append("CARD_EXPIRED")
        if seen.valid_from is not None and seen.valid_from > today:
            reasons.append("CARD_NOT_YET_VALID")
    if record is not None and record.status in REPORTED:
        reasons.append("CARD_REPORTED_LOST")
    return _check(profile, reasons or ["CARD_VALID"])


def travel_check(facts: Facts, profile: Profile, today: date) -> Check:
    """Visits inside the window whose risk the profile does not let pass."""
    since = travel_since(profile, today)
    flagged = [
        v
        for v in facts.visits
        if v.visited_on >= since and profile.verdict_of("TRAVEL_RISK_AREA", v.risk) != "PASS"
    ]
    if flagged:
        verdict = worst([profile.verdict_of("TRAVEL_RISK_AREA", v.risk) for v in flagged])
        reasons = ["TRAVEL_RISK_AREA"]
        return Check(outcome_of(verdict, reasons), reasons, verdict, [_place(v) for v in flagged])
    reasons = ["TRAVEL_CLEAR" if facts.has_travel else "TRAVEL_NO_RECORD"]
    check = _check(profile, reasons)
    return Check(check.outcome, check.reasons, check.verdict, [])


def person_check(seen: PersonSeen | None, profile: Profile) -> Check:
    """The kiosk's face result as sent; absent means the face check was skipped."""
    if seen is None:
        return _check(profile, ["FACE_SKIPPED"])
    check = _check(profile, seen.reasons or ["FACE_SKIPPED"])
    return Check(seen.outcome, check.reasons, check.verdict)


def travel_since(profile: Profile, today: date) -> date:
    """First day inside the profile's travel window."""
    return today - timedelta(days=profile.travel.window_days)


def evaluate(
    facts: Facts,
    profile: Profile,
    *,
    now: datetime,
    card: CardSeen | None,
    person: PersonSeen | None,
) -> tuple[Verdict, list[str], dict[str, Check]]:
    """All four checks and the verdict."""
    today = now.date()
    checks = {
        "person": person_check(person, profile),
        "card": card_check(card, facts.card, profile, today),
        "code": code_check(facts.code, profile, now),
        "travel": travel_check(facts, profile, today),
    }
    verdict, reasons = decide(checks, profile)
    return verdict, reasons, checks


def data_ages(facts: Facts, now: datetime) -> dict[str, float | None]:
    """Seconds since each feed last changed this subject's record (None: no record)."""

    def age(at: datetime | None) -> float | None:
        return None if at is None else round((now - at).total_seconds(), 3)

    newest_visit = max((v.updated_at for v in facts.visits), default=None)
    return {
        "code": age(facts.code.updated_at if facts.code else None),
        "travel": age(newest_visit),
        "cards": age(facts.card.updated_at if facts.card else None),
    }


def _place(visit: Visit) -> dict[str, str]:
    return {
        "place_code": visit.place_code,
        "place_name": visit.place_name,
        "visited_on": visit.visited_on.isoformat(),
        "risk": visit.risk,
    }
