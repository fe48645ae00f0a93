"""Instants a client sends, checked against the server's clock before anything is stored.

An event's time decides the day the stats count it on and when retention purges it, so it is
accepted only inside what the service keeps: at most ``privacy.retention_days`` back (older would
be purged at once) and at most ``limits.clock_skew_s`` ahead (a kiosk clock a little fast is
tolerated; year 9999 is not, nor is one day of stats per calendar day until then). A time
outside is a 422 naming the field, in the problem+json of every validation error, and nothing
of the request is stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi.exceptions import RequestValidationError

from verifier.config import VerifierConfig
from verifier.timeutil import iso, utcnow

Location = tuple[str | int, ...]


@dataclass(frozen=True)
class ClockWindow:
    """The instants a client may send now: ``earliest`` ≤ t ≤ ``latest``."""

    now: datetime
    retention_days: int
    skew_s: float

    @classmethod
    def of(cls, config: VerifierConfig, now: datetime | None = None) -> ClockWindow:
        return cls(now or utcnow(), config.privacy.retention_days, config.limits.clock_skew_s)

    @property
    def earliest(self) -> datetime:
        return self.now - timedelta(days=self.retention_days)

    @property
    def latest(self) -> datetime:
        return self.now + timedelta(seconds=self.skew_s)

    def problem(self) -> str:
        """What a refused instant is told (never the instant sent)."""
        return (
            f"must be within {self.retention_days} days before and {self.skew_s:g} s after the "
            f"server's clock, now {iso(self.now)} (privacy.retention_days, limits.clock_skew_s)"
        )


def check_instants(window: ClockWindow, instants: Iterable[tuple[Location, datetime]]) -> None:
    """Raise a RequestValidationError (→ 422) listing every instant outside ``window``, each by
    its location in the request, e.g. ``body.events.3.at``."""
    errors = [
        {"type": "value_error", "loc": loc, "msg": window.problem(), "input": None}
        for loc, instant in instants
        if not window.earliest <= instant <= window.latest
    ]
    if errors:
        raise RequestValidationError(errors)
