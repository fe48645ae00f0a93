"""Per-row validation for each feed kind: hand-written checks (a pydantic model per row would
cost more than the whole rest of the import). A bad row raises RowError naming the field; an
``id_number`` value is never repeated in a message."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from verifier.idnumber import ID_SHAPED, id_number_problem, normalize_id_number
from verifier.subjects import SubjectHasher, is_subject
from verifier.timeutil import parse_day, parse_instant, sqlite_text

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
EARLIEST = date(2000, 1, 1)

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


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
"""Fifteen digits or more (an 18-character number, perhaps spaced or full-width), or the
2017 foreigner number's shape: free text holding one would put it in the database."""
_PLACE_CODE = re.compile("[0-9A-Za-z._-]{1,32}")
_DOSES = {str(n): n for n in range(21)}
DAY_FORM = "expected a date YYYY-MM-DD"
INSTANT_FORM = "expected an RFC 3339 date-time with Z or an offset (2026-11-01T08:00:00+08:00)"
MEMO = 4096
"""Values remembered per kind of check: exports repeat the same few over thousands of rows."""


def _choice(name: str, value: Any, allowed: frozenset[str]) -> str:
    if type(value) is not str or value not in allowed:  # a JSON list is not even hashable
        raise RowError(name, f"expected one of {', '.join(sorted(allowed))}")
    return value


def _doses(value: Any) -> int | None:
    """A whole number 0–20: CSV digits or a JSON integer (not 3.0, true, 1e999 or NaN)."""
    if type(value) is str:
        doses = _DOSES.get(value)
        if doses is not None:
            return doses
        if value == "":
            return None
    elif value is None:
        return None
    elif type(value) is int and 0 <= value <= 20:
        return value
    raise RowError("vaccine_doses", "expected a whole number from 0 to 20")


class Texts:
    """Free text as stored: no control characters or lone surrogates (one line, storable on
    both databases), and nothing shaped like an ID number (it would land in the database)."""

    def __init__(self) -> None:
        self.good: dict[str, bool] = {}

    def __call__(self, name: str, value: Any, limit: int, required: bool = False) -> str:
        if type(value) is str and value in self.good and len(value) <= limit:
            return value
        if value is None or value == "":
            if required:
                raise RowError(name, "missing")
            return ""
        if type(value) is not str:
            raise RowError(name, "expected text")
        if len(value) > limit:
            raise RowError(name, f"longer than {limit} characters")
        if not value.isprintable() and (bad := _CONTROL.search(value)) is not None:
            raise RowError(name, f"character U+{ord(bad[0]):04X} (a control or lone surrogate)")
        if ID_SHAPED.search(value) is not None:
            raise RowError(name, "looks like it holds an ID number; free text must not carry one")
        _remember(self.good, value, True)
        return value

    def place_code(self, value: Any) -> str:
        code = self("place_code", value, 32, required=True)
        if _PLACE_CODE.fullmatch(code) is None:
            raise RowError("place_code", "expected letters, digits, '.', '_' or '-'")
        return code


@dataclass(frozen=True)
class Forms:
    """How a store takes instants and days: SQLite as the text SQLAlchemy's DATETIME and DATE
    store, PostgreSQL as ``datetime`` and ``date`` objects for a binary COPY (the server then
    parses nothing)."""

    instant: Callable[[datetime], Any]
    day: Callable[[date], Any]


def _same(value: Any) -> Any:
    return value


TEXT_FORMS = Forms(sqlite_text, date.isoformat)
NATIVE_FORMS = Forms(_same, _same)


class Stamps:
    """Feed dates and instants → the store's forms (``Forms``), between ``EARLIEST`` and a day
    past ``now``: a far-future update would block every later correction, a year-1 placeholder
    is no record at all. Each distinct value is parsed once: exports repeat a few thousand."""

    def __init__(self, now: datetime, forms: Forms) -> None:
        self.latest = now + FUTURE_SLACK
        self.earliest = datetime.combine(EARLIEST, time(), UTC)
        self.forms = forms
        self.instants: dict[str, Any] = {}
        self.days: dict[str, tuple[Any, Any]] = {}

    def field(self, name: str, value: Any, required: bool = True) -> Any:
        """An instant in the store's form (None: empty and not ``required``)."""
        if type(value) is str:
            stored = self.instants.get(value)
            if stored is not None:
                return stored
            if value:
                return self._instant(name, value)
        elif value is not None:
            raise RowError(name, INSTANT_FORM)
        if required:
            raise RowError(name, "missing")
        return None

    def day(self, name: str, value: Any) -> tuple[Any, Any]:
        """A day in the store's form, and its midnight UTC as an instant in the store's form
        (a visit's ``updated_at`` when the feed gives none). ``parse_day`` takes only the one
        written form that is also stored."""
        if type(value) is str:
            stored = self.days.get(value)
            if stored is not None:
                return stored
        if value is None or value == "":
            raise RowError(name, "missing")
        if type(value) is not str:
            raise RowError(name, DAY_FORM)
        try:
            day = parse_day(value)
        except ValueError:
            raise RowError(name, DAY_FORM) from None
        midnight = datetime.combine(day, time(), UTC)
        self._bound(name, midnight)
        stored = (self.forms.day(day), self.forms.instant(midnight))
        _remember(self.days, value, stored)
        return stored

    def _instant(self, name: str, value: str) -> Any:
        try:
            instant = parse_instant(value)
        except ValueError:
            raise RowError(name, INSTANT_FORM) from None
        except OverflowError:
            raise RowError(name, f"outside {EARLIEST.isoformat()} to a day from now") from None
        self._bound(name, instant)
        stored = self.forms.instant(instant)
        _remember(self.instants, value, stored)
        return stored

    def _bound(self, name: str, instant: datetime) -> None:
        if instant > self.latest:
            raise RowError(name, "more than a day in the future")
        if instant < self.earliest:
            raise RowError(name, f"before {EARLIEST.isoformat()}; a placeholder, not a record?")


def _remember(memo: dict[str, Any], value: str, stored: Any) -> None:
    if len(memo) >= MEMO:
        memo.clear()
    memo[value] = stored


def subject_reader(pepper: bytes) -> Callable[[Any, Any], bytes]:
    """The row's subject as the store keeps it (32 bytes) from its ``id_number`` (validated,
    HMAC-hashed, then forgotten) or its ``subject`` (64 hex)."""
    hasher = SubjectHasher(pepper)

    def subject(number: Any, given: Any) -> bytes:
        if number or (number is not None and number != ""):  # JSON 0, false, [] are values
            if given is not None and given != "":
                raise RowError("subject", "give id_number or subject, not both")
            if type(number) is not str:
                raise RowError("id_number", "expected text")
            number = normalize_id_number(number)
            problem = id_number_problem(number)
            if problem is not None:
                raise RowError("id_number", problem)
            return hasher(number)
        if given is None or given == "":
            raise RowError("id_number", "missing (or give subject)")
        if type(given) is not str or not is_subject(given.lower()):
            raise RowError("subject", "expected 64 hex characters")
        return bytes.fromhex(given)

    return subject


def validator(
    kind: str, pepper: bytes, now: datetime | None = None, forms: Forms = TEXT_FORMS
) -> Validator:
    """A function turning one row's values (in ``fields(kind)`` order) into the tuple the writer
    stores (in the column order of ``writer.TABLES``, instants and days in ``forms``)."""
    subject = subject_reader(pepper)
    stamps = Stamps(now or datetime.now(UTC), forms)
    stamp = stamps.field
    text = Texts()

    def codes(row: Row) -> Row:
        number, given, color, updated_at, reason, nat_at, doses = row
        return (
            subject(number, given),
            _choice("color", color, COLORS),
            text("reason", reason, 500),
            stamp("updated_at", updated_at),
            stamp("nat_at", nat_at, False),
            _doses(doses),
        )

    def travel(row: Row) -> Row:
        number, given, place_code, day, risk, place_name, updated_at = row
        key = subject(number, given)
        place = text.place_code(place_code)
        visited, midnight = stamps.day("visited_on", day)
        return (
            key,
            place,
            visited,
            text("place_name", place_name, 200),
            _choice("risk", risk, RISKS),
            stamp("updated_at", updated_at, False) or midnight,
        )

    def cards(row: Row) -> Row:
        number, given, status, updated_at = row
        return (
            subject(number, given),
            _choice("status", status, STATUSES),
            stamp("updated_at", updated_at),
        )

    return {"codes": codes, "travel": travel, "cards": cards}[kind]
