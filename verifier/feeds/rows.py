"""Per-row validation for each feed kind: hand-written checks (a pydantic model per row would
cost more than the whole rest of the import). A bad row raises RowError naming the field; an
``id_number`` value is never repeated in a message."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from verifier.idnumber import id_number_problem, normalize_id_number
from verifier.subjects import is_subject
from verifier.timeutil import SQLITE_FORMAT, parse_day, parse_instant

COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # kind: (required, optional) besides the identity column (id_number or subject)
    "codes": (("color", "updated_at"), ("reason", "nat_at", "vaccine_doses")),
    "travel": (("place_code", "visited_on", "risk"), ("place_name", "updated_at")),
    "cards": (("status", "updated_at"), ()),
}
IDENTITY = ("id_number", "subject")
COLORS = frozenset({"green", "yellow", "red"})
RISKS = frozenset({"low", "medium", "high"})
STATUSES = frozenset({"ok", "lost", "stolen", "revoked"})
FUTURE_SLACK = timedelta(days=1)

Row = tuple[Any, ...]
Validator = Callable[[dict[str, Any]], Row]


class RowError(Exception):
    """One rejected row: the field and what was expected."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def _text(row: dict[str, Any], name: str, *, limit: int, required: bool = True) -> str:
    value = row.get(name)
    if value is None or value == "":
        if required:
            raise RowError(name, "missing")
        return ""
    if not isinstance(value, str):
        raise RowError(name, "expected text")
    if len(value) > limit:
        raise RowError(name, f"longer than {limit} characters")
    return value


def _choice(row: dict[str, Any], name: str, allowed: frozenset[str]) -> str:
    value = row.get(name)
    if value not in allowed:
        raise RowError(name, f"expected one of {', '.join(sorted(allowed))}")
    return value  # type: ignore[return-value]


class Stamps:
    """Feed timestamps → the store's canonical UTC text; rejects the far future, which would
    otherwise block every later correction."""

    def __init__(self, now: datetime) -> None:
        self.latest = now + FUTURE_SLACK
        self.text = lru_cache(maxsize=4096)(self._text)

    def _text(self, value: str) -> str:
        instant = parse_instant(value)
        if instant > self.latest:
            raise OverflowError
        return instant.strftime(SQLITE_FORMAT)

    def field(self, row: dict[str, Any], name: str, *, required: bool = True) -> str | None:
        value = row.get(name)
        if value is None or value == "":
            if required:
                raise RowError(name, "missing")
            return None
        if not isinstance(value, str):
            raise RowError(name, "expected an ISO 8601 date-time")
        try:
            return self.text(value)
        except ValueError:
            raise RowError(name, "expected an ISO 8601 date-time") from None
        except OverflowError:
            raise RowError(name, "more than a day in the future") from None


def subject_reader(pepper: bytes) -> Callable[[dict[str, Any]], str]:
    """The row's subject: HMAC of ``id_number`` (validated, then forgotten) or ``subject``."""

    def subject(row: dict[str, Any]) -> str:
        number = row.get("id_number")
        given = row.get("subject")
        if number:
            if given:
                raise RowError("subject", "give id_number or subject, not both")
            if not isinstance(number, str):
                raise RowError("id_number", "expected text")
            number = normalize_id_number(number)
            problem = id_number_problem(number)
            if problem is not None:
                raise RowError("id_number", problem)
            return hmac.digest(pepper, number.encode(), "sha256").hex()
        if not given:
            raise RowError("id_number", "missing (or give subject)")
        if not isinstance(given, str) or not is_subject(given.lower()):
            raise RowError("subject", "expected 64 hex characters")
        return given.lower()

    return subject


def validator(kind: str, pepper: bytes, now: datetime | None = None) -> Validator:
    """A function turning one parsed row into the tuple the writer stores."""
    subject = subject_reader(pepper)
    stamps = Stamps(now or datetime.now(UTC))

    def codes(row: dict[str, Any]) -> Row:
        doses = row.get("vaccine_doses")
        if doses in (None, ""):
            doses = None
        else:
            try:
                doses = int(doses)
            except (TypeError, ValueError):
                raise RowError("vaccine_doses", "expected a whole number") from None
            if not 0 <= doses <= 20:
                raise RowError("vaccine_doses", "expected 0 to 20")
        return (
            subject(row),
            _choice(row, "color", COLORS),
            _text(row, "reason", limit=500, required=False),
            stamps.field(row, "updated_at"),
            stamps.field(row, "nat_at", required=False),
            doses,
        )

    def travel(row: dict[str, Any]) -> Row:
        day = row.get("visited_on")
        try:
            visited = parse_day(day)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise RowError("visited_on", "expected a date YYYY-MM-DD") from None
        if visited > stamps.latest.date():
            raise RowError("visited_on", "in the future")
        updated = stamps.field(row, "updated_at", required=False)
        return (
            subject(row),
            _text(row, "place_code", limit=32),
            day,
            _text(row, "place_name", limit=200, required=False),
            _choice(row, "risk", RISKS),
            updated or f"{day} 00:00:00.000000",
        )

    def cards(row: dict[str, Any]) -> Row:
        return (subject(row), _choice(row, "status", STATUSES), stamps.field(row, "updated_at"))

    return {"codes": codes, "travel": travel, "cards": cards}[kind]
