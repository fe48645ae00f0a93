"""What the store knows about one subject: health code, travel, card status (read side)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Date, Engine, Integer, String, text

from verifier.store.schema import INSTANT
from verifier.timeutil import as_utc


@dataclass(frozen=True)
class CodeRecord:
    color: str
    reason: str
    updated_at: datetime
    nat_at: datetime | None
    vaccine_doses: int | None


@dataclass(frozen=True)
class Visit:
    place_code: str
    place_name: str
    visited_on: date
    risk: str
    updated_at: datetime


@dataclass(frozen=True)
class CardRecord:
    status: str
    updated_at: datetime


@dataclass(frozen=True)
class Facts:
    """Everything ``/v1/verify`` and ``lookup`` decide from."""

    code: CodeRecord | None
    card: CardRecord | None
    visits: list[Visit] = field(default_factory=list)
    has_travel: bool = False


FACTS_SQL = """
    SELECT 'code' AS kind, color AS a, reason AS b, updated_at, nat_at,
           CAST(NULL AS DATE) AS visited_on, vaccine_doses AS doses
      FROM health_codes WHERE subject = :subject
    UNION ALL
    SELECT 'card', status, NULL, updated_at, NULL, NULL, NULL
      FROM card_status WHERE subject = :subject
    UNION ALL
    SELECT 'travel', place_code, place_name || '|' || risk, updated_at, NULL, visited_on, NULL
      FROM travel WHERE subject = :subject
"""
_FACTS = text(FACTS_SQL).columns(
    kind=String,
    a=String,
    b=String,
    updated_at=INSTANT,
    nat_at=INSTANT,
    visited_on=Date,
    doses=Integer,
)
Row = tuple[Any, ...]


def facts_for(engine: Engine, subject: str, *, travel_since: date) -> Facts:
    """One indexed round trip for all three feeds; travel kept only within the policy window."""
    with engine.connect() as conn:
        rows = conn.execute(_FACTS, {"subject": bytes.fromhex(subject)}).all()
    return facts_from_rows(rows, travel_since)


class SqliteFacts:
    """``facts_for`` on one long-lived SQLite connection of the event-loop thread, skipping
    the pool and result layers (they cost more than the read). SQLite hands back text: the
    store's UTC instants and ISO dates are parsed here."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._raw: Any = None

    def read(self, subject: str, *, travel_since: date) -> Facts:
        if self._raw is None:
            self._raw = self.engine.raw_connection()
        rows = self._raw.execute(FACTS_SQL, {"subject": bytes.fromhex(subject)}).fetchall()
        return facts_from_rows(rows, travel_since, _instant, date.fromisoformat)

    def close(self) -> None:
        if self._raw is not None:
            self._raw.close()
            self._raw = None


def _same(value: date) -> date:
    return value


def _instant(text_: str) -> datetime:
    return datetime.fromisoformat(text_).replace(tzinfo=UTC)


def facts_from_rows(
    rows: Sequence[Row],
    travel_since: date,
    instant: Callable[[Any], datetime] = as_utc,
    day: Callable[[Any], date] = _same,
) -> Facts:
    """``Facts`` from the rows of ``FACTS_SQL``, whichever driver read them: ``instant`` and
    ``day`` turn its instants and dates into aware UTC datetimes and dates (the defaults suit a
    driver that already hands back datetimes and dates)."""
    code = card = None
    visits: list[Visit] = []
    has_travel = False
    for kind, a, b, updated_at, nat_at, visited_on, doses in rows:
        if kind == "code":
            nat = None if nat_at is None else instant(nat_at)
            code = CodeRecord(a, b, instant(updated_at), nat, doses)
        elif kind == "card":
            card = CardRecord(a, instant(updated_at))
        else:
            has_travel = True
            visited = day(visited_on)
            if visited >= travel_since:
                name, _, risk = b.rpartition("|")
                visits.append(Visit(a, name, visited, risk, instant(updated_at)))
    visits.sort(key=lambda v: v.visited_on, reverse=True)
    return Facts(code=code, card=card, visits=visits, has_travel=has_travel)
