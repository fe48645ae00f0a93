"""``yzt verifier lookup``: the support desk's "why was I stopped?" for one ID number, judged
as a kiosk at that site would, except that with no card in hand only the lost/stolen feed
counts for the card check."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from verifier.checks import data_ages, evaluate, travel_since
from verifier.idnumber import id_number_problem, normalize_id_number
from verifier.policy import Profile
from verifier.store.people import facts_for
from verifier.subjects import subject_of
from verifier.timeutil import iso, utcnow


class NotAnIdNumber(ValueError):
    """The ID number given is not one (the message never repeats it)."""


def lookup(engine: Engine, pepper: bytes, profile: Profile, id_number: str) -> dict[str, Any]:
    """The verdict, reasons and the four checks for this person at a site with ``profile``."""
    number = normalize_id_number(id_number)
    problem = id_number_problem(number)
    if problem is not None:
        raise NotAnIdNumber(f"ID_NUMBER: {problem}")
    now = utcnow()
    subject = subject_of(pepper, number)
    facts = facts_for(engine, subject, travel_since=travel_since(profile, now.date()))
    verdict, reasons, checks = evaluate(facts, profile, now=now, card=None, person=None)
    return {
        "verdict": verdict,
        "reasons": reasons,
        "checks": {name: check.as_json() for name, check in checks.items()},
        "policy": profile.name,
        "data_age_s": data_ages(facts, now),
        "at": iso(now),
    }
