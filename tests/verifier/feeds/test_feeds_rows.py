"""Per-row validation as a careless feed provider meets it: every wrong value is a RowError that
names the field and never repeats an ID number; every accepted value is in the one form stored."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from verifier_helpers import PEPPER, id_numbers

from verifier.feeds.rows import NATIVE_FORMS, RowError, fields, validator
from verifier.subjects import subject_of

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
(NUMBER,) = id_numbers(1)
STAMP = "2026-11-01T08:00:00+08:00"


def codes(**values: Any) -> tuple[Any, ...]:
    row = {"id_number": NUMBER, "color": "green", "updated_at": STAMP, **values}
    return validator("codes", PEPPER, NOW)(tuple(row.get(f) for f in fields("codes")))


def travel(**values: Any) -> tuple[Any, ...]:
    row = {"id_number": NUMBER, "place_code": "440106", "risk": "high", **values}
    row.setdefault("visited_on", "2026-11-25")
    return validator("travel", PEPPER, NOW)(tuple(row.get(f) for f in fields("travel")))


def rejected(make: Any, **values: Any) -> RowError:
    with pytest.raises(RowError) as caught:
        make(**values)
    assert NUMBER not in str(caught.value)
    return caught.value


@pytest.mark.parametrize(
    "doses",
    [
        Decimal("1e999"),  # NDJSON 1e999 (a float would be infinite)
        Decimal("Infinity"),
        Decimal("-Infinity"),
        Decimal("NaN"),
        Decimal("3.0"),
        True,
        -1,
        21,
        10**30,
        "03",
        "+3",
        "3 ",
        "1_0",
        "٣",  # an Arabic-Indic three: int() would take it
        "３",
        [3],
    ],
)
def test_vaccine_doses_must_be_a_whole_number_0_to_20(doses: Any) -> None:
    error = rejected(codes, vaccine_doses=doses)
    assert (error.field, error.reason) == ("vaccine_doses", "expected a whole number from 0 to 20")


@pytest.mark.parametrize(
    ("doses", "stored"), [("0", 0), ("20", 20), (3, 3), ("", None), (None, None)]
)
def test_vaccine_doses_as_csv_digits_or_json_integers(doses: Any, stored: int | None) -> None:
    assert codes(vaccine_doses=doses)[5] == stored


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("a\x00b", "U+0000"),
        ("\ud800", "U+D800"),
        ("close\ncontact", "U+000A"),
        ("tab\tseparated", "U+0009"),
        ("\x1b[31mred", "U+001B"),
        ("\x85", "U+0085"),
        (f"contact of {NUMBER}", "ID number"),
        (f"contact of {NUMBER[:6]} {NUMBER[6:14]} {NUMBER[14:]}", "ID number"),
        ("".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in NUMBER), "ID number"),
        ("ABC123456789012", "ID number"),
        ("x" * 501, "longer than 500"),
        (7, "expected text"),
        (["x"], "expected text"),
    ],
)
def test_free_text_is_one_storable_line_without_an_id_number(text: Any, reason: str) -> None:
    error = rejected(codes, reason=text)
    assert error.field == "reason" and reason in error.reason


def test_free_text_keeps_what_people_write() -> None:
    for text in ("密切接触\u3000复核中", "call 13800138000", "😷", "  spaced  "):
        assert codes(reason=text)[2] == text


@pytest.mark.parametrize(
    "code", ["440 106", " 440106", "440106\r", "广州", "x" * 33, "4401060010010010", 440106]
)
def test_place_codes_are_one_token(code: Any) -> None:
    assert rejected(travel, place_code=code).field == "place_code"


@pytest.mark.parametrize(
    "day",
    ["2026-W48-3", "2026-330", "20261125", "2026-11-25T00:00:00Z", "2026-11-5", "2026-02-30"],
)
def test_visited_on_is_exactly_yyyy_mm_dd(day: str) -> None:
    error = rejected(travel, visited_on=day)
    assert (error.field, error.reason) == ("visited_on", "expected a date YYYY-MM-DD")


def test_visited_on_is_stored_as_written_and_updated_at_defaults_to_its_midnight() -> None:
    row = travel(visited_on="2026-11-25")
    assert row[2] == "2026-11-25" and row[5] == "2026-11-25 00:00:00.000000"


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("updated_at", "2026-11-01T08:00:00", "RFC 3339"),
        ("updated_at", "2026-11-01 08:00", "RFC 3339"),
        ("updated_at", "2026-W44-7", "RFC 3339"),
        ("updated_at", "2027-01-01T00:00:00Z", "future"),
        ("updated_at", "1999-12-31T23:59:59Z", "before 2000-01-01"),
        ("updated_at", "0001-01-01T00:00:00+01:00", "outside 2000-01-01"),
        ("updated_at", 20261101, "RFC 3339"),
        ("updated_at", "", "missing"),
        ("nat_at", "yesterday", "RFC 3339"),
        ("nat_at", Decimal("NaN"), "RFC 3339"),
    ],
)
def test_instants_are_rfc3339_with_a_zone_and_within_bounds(
    field: str, value: Any, reason: str
) -> None:
    error = rejected(codes, **{field: value})
    assert error.field == field and reason in error.reason


def test_one_instant_written_several_ways_is_stored_as_one_text() -> None:
    forms = ["2026-11-01T08:00:00+08:00", "2026-11-01T00:00:00Z", "2026-11-01t00:00:00z"]
    forms += ["2026-10-31 19:00:00-05:00", "2026-11-01T00:00:00.000000000Z"]
    stored = {codes(updated_at=form, nat_at=form)[3] for form in forms}
    assert stored == {"2026-11-01 00:00:00.000000"}


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"id_number": 0}, "id_number"),
        ({"id_number": 0, "subject": "ab" * 32}, "subject"),
        ({"id_number": False}, "id_number"),
        ({"id_number": [NUMBER]}, "id_number"),
        ({"id_number": None}, "id_number"),
        ({"id_number": NUMBER, "subject": "ab" * 32}, "subject"),
        ({"id_number": None, "subject": "ab" * 31}, "subject"),
        ({"id_number": None, "subject": Decimal(1)}, "subject"),
        ({"id_number": NUMBER[:17] + "\x00"}, "id_number"),
        ({"id_number": "\ud800" * 18}, "id_number"),
        ({"color": "GREEN"}, "color"),
        ({"color": "green\x00"}, "color"),
        ({"color": ["green"]}, "color"),
    ],
)
def test_identity_and_choices_refuse_every_other_type_and_form(
    values: dict[str, Any], field: str
) -> None:
    assert rejected(codes, **values).field == field


def test_postgresql_gets_datetimes_and_dates_and_the_same_subject() -> None:
    """The binary COPY form: the same instants as the text form, as objects, and a visit with
    no ``updated_at`` dated at its day's midnight UTC."""
    native = validator("travel", PEPPER, NOW, NATIVE_FORMS)
    row = {"subject": subject_of(PEPPER, NUMBER).upper(), "place_code": "440106", "risk": "low"}
    row["visited_on"] = "2026-11-25"
    key, _, visited, _, _, updated = native(tuple(row.get(f) for f in fields("travel")))
    assert key.hex() == subject_of(PEPPER, NUMBER)
    assert visited == date(2026, 11, 25)
    assert updated == datetime(2026, 11, 25, tzinfo=UTC)
    assert travel()[5] == "2026-11-25 00:00:00.000000"


def test_an_accepted_row_is_hashed_and_normalised() -> None:
    subject, color, reason, updated, nat, doses = codes(
        id_number=NUMBER.lower(), reason="", nat_at="2026-10-01", vaccine_doses="3"
    )
    assert subject.hex() == subject_of(PEPPER, NUMBER)
    assert (color, reason, updated, nat, doses) == (
        "green",
        "",
        "2026-11-01 00:00:00.000000",
        "2026-10-01 00:00:00.000000",
        3,
    )
