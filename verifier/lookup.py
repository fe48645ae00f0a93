"""The support desk's "why was I stopped?" for one ID number, judged as a kiosk at that site
would, except that with no card in hand only the lost/stolen feed counts for the card check.
One answer for ``yzt verifier lookup`` and ``POST /v1/lookup`` (verifier/api/lookup.py)."""

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
    """The ID number given is not one; ``reason`` says why and never repeats it."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"ID_NUMBER: {reason}")
        self.reason = reason


def lookup(engine: Engine, pepper: bytes, profile: Profile, id_number: str) -> dict[str, Any]:
    """The verdict, reasons and the four checks for this person at a site with ``profile``; the
    number is hashed here and kept nowhere."""
    number = normalize_id_number(id_number)
    problem = id_number_problem(number)
    if problem is not None:
        raise NotAnIdNumber(problem)
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


def answer(
    engine: Engine, pepper: bytes, profile: Profile, *, site: str, id_number: str
) -> dict[str, Any]:
    """The support desk's answer (CLI and HTTP alike): the site, then ``lookup``'s fields."""
    return {"site": site, **lookup(engine, pepper, profile, id_number)}
