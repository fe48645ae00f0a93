"""The verifier's verdict and the person check, combined under the site's ``[face]`` policy.

A person result maps to a verdict of its own (ok → PASS, warn → ``on_review``, fail →
``on_mismatch``, unknown → ``on_unavailable``, skipped → PASS) and the stricter of the two wins,
so a person problem can make a verdict stricter and never laxer. The person reason leads the
reasons when it decided the verdict, and follows them when both agree on CHECK or DENY.
"""

from __future__ import annotations

import dataclasses

from kiosk.face.checker import PersonCheck
from kiosk.face.config import PolicyConfig
from kiosk.verdict import Verdict, as_verdict, strictest


@dataclasses.dataclass(frozen=True, slots=True)
class Combined:
    verdict: Verdict
    reasons: tuple[str, ...]


def person_verdict(person: PersonCheck, policy: PolicyConfig) -> Verdict:
    """What the person result alone asks for."""
    if person.outcome == "ok" or "FACE_SKIPPED" in person.reasons:
        return "PASS"
    if person.outcome == "warn":
        return policy.on_review
    if person.outcome == "fail":
        return policy.on_mismatch
    return policy.on_unavailable


def combine(
    verdict: str, reasons: list[str] | tuple[str, ...], person: PersonCheck, policy: PolicyConfig
) -> Combined:
    """The final verdict and reasons; ``ValueError`` for a verdict that is not PASS/CHECK/DENY."""
    given = as_verdict(verdict)
    own = person_verdict(person, policy)
    ordered = tuple(reasons)
    person_reasons = tuple(r for r in person.reasons if r not in ordered)
    if own != given and strictest(own, given) == own:
        return Combined(own, person_reasons + ordered)
    if own == given and own != "PASS":
        return Combined(own, ordered + person_reasons)
    return Combined(given, ordered)
