"""Per-row validation for each feed kind: hand-written checks (a pydantic model per row would
cost more than the whole rest of the import). A bad row raises RowError naming the field; an
``id_number`` value is never repeated in a message."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from verifier.idnumber import id_number_problem, normalize_id_number
from verifier.subjects import SubjectHasher, is_subject
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
Validator = Callable[[Row], Row]


def fields(kind: str) -> tuple[str, ...]:
    """The columns of ``kind`` in the order the source hands a row's values to its validator
    (a missing column or an empty value is ``""`` or None)."""
    required, optional = COLUMNS[kind]
    return IDENTITY + required + optional


class RowError(Exception):
    """One rejected row: the field and what was expected."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def _text(name: str, value: Any, *, limit: int, required: bool = True) -> str:
    if value is None or value == "":
        if required:
            raise RowError(name, "missing")
        return ""
    if not isinstance(value, str):
        raise RowError(name, "expected text")
    if len(value) > limit:
        raise RowError(name, f"longer than {limit} characters")
    return value


def _choice(name: str, value: Any, allowed: frozenset[str]) -> str:
    if not isinstance(value, str) or value not in allowed:  # a JSON list is not even hashable
        raise RowError(name, f"expected one of {', '.join(sorted(allowed))}")
    return value


def _doses(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        doses = int(value)
    except (TypeError, ValueError):
        raise RowError("vaccine_doses", "expected a whole number") from None
    if not 0 <= doses <= 20:
        raise RowError("vaccine_doses", "expected 0 to 20")
    return doses


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

    def field(self, name: str, value: Any, *, required: bool = True) -> str | None:
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


def subject_reader(pepper: bytes) -> Callable[[Any, Any], str]:
    """The row's subject from its ``id_number`` (validated, HMAC-hashed, then forgotten) or its
    ``subject``."""
    hasher = SubjectHasher(pepper)

    def subject(number: Any, given: Any) -> str:
        if number:
            if given:
                raise RowError("subject", "give id_number or subject, not both")
            if not isinstance(number, str):
                raise RowError("id_number", "expected text")
            number = normalize_id_number(number)
            problem = id_number_problem(number)
            if problem is not None:
                raise RowError("id_number", problem)
            return hasher(number)
        if not given:
            raise RowError("id_number", "missing (or give subject)")
        if not isinstance(given, str) or not is_subject(given.lower()):
            raise RowError("subject", "expected 64 hex characters")
        return given.lower()

    return subject


def validator(kind: str, pepper: bytes, now: datetime | None = None) -> Validator:
    """A function turning one row's values (in ``fields(kind)`` order) into the tuple the writer
    stores (in the column order of ``writer.TABLES``)."""
    subject = subject_reader(pepper)
    stamps = Stamps(now or datetime.now(UTC))
    stamp = stamps.field

    def codes(row: Row) -> Row:
        number, given, color, updated_at, reason, nat_at, doses = row
        return (
            subject(number, given),
            _choice("color", color, COLORS),
            _text("reason", reason, limit=500, required=False),
            stamp("updated_at", updated_at),
            stamp("nat_at", nat_at, required=False),
            _doses(doses),
        )

    def travel(row: Row) -> Row:
        number, given, place_code, day, risk, place_name, updated_at = row
        key = subject(number, given)
        place = _text("place_code", place_code, limit=32)
        try:
            visited = parse_day(day)
        except (TypeError, ValueError):
            raise RowError("visited_on", "expected a date YYYY-MM-DD") from None
        if visited > stamps.latest.date():
            raise RowError("visited_on", "in the future")
        return (
            key,
            place,
            day,
            _text("place_name", place_name, limit=200, required=False),
            _choice("risk", risk, RISKS),
            stamp("updated_at", updated_at, required=False) or f"{day} 00:00:00.000000",
        )

    def cards(row: Row) -> Row:
        number, given, status, updated_at = row
        return (
            subject(number, given),
            _choice("status", status, STATUSES),
            stamp("updated_at", updated_at),
        )

    return {"codes": codes, "travel": travel, "cards": cards}[kind]
