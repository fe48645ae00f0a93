"""Feed dates and times are read one way: exactly YYYY-MM-DD, RFC 3339 with a zone; the text
the store keeps sorts in time."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from verifier.timeutil import parse_day, parse_instant, sqlite_text


@pytest.mark.parametrize(
    "text",
    [
        "2026-W48-3",  # ISO week date: the same day as 2026-11-25, written another way
        "2026-330",  # ordinal date
        "20261125",
        "2026-11-5",
        "2026/11/25",
        " 2026-11-25",
        "2026-11-25\n",
        "２０２６-１１-２５",  # full-width digits
        "2026-11-25T00:00:00Z",
        "2026-02-30",
        "",
    ],
)
def test_a_day_has_one_written_form(text: str) -> None:
    with pytest.raises(ValueError):
        parse_day(text)


def test_the_one_form_of_a_day_is_read() -> None:
    assert parse_day("2026-11-25") == date(2026, 11, 25)


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2026-11-01T08:00:00+08:00", datetime(2026, 11, 1, 0, 0, tzinfo=UTC)),
        ("2026-11-01T00:00:00Z", datetime(2026, 11, 1, 0, 0, tzinfo=UTC)),
        ("2026-11-01t00:00:00z", datetime(2026, 11, 1, 0, 0, tzinfo=UTC)),
        ("2026-11-01 00:00:00-00:00", datetime(2026, 11, 1, 0, 0, tzinfo=UTC)),
        ("2026-10-31T19:30:00.5-04:30", datetime(2026, 11, 1, 0, 0, 0, 500000, tzinfo=UTC)),
        ("2026-11-01T00:00:00.123456789Z", datetime(2026, 11, 1, 0, 0, 0, 123456, tzinfo=UTC)),
        ("2026-11-01", datetime(2026, 11, 1, tzinfo=UTC)),  # a date: 00:00 UTC that day
    ],
)
def test_rfc3339_instants_are_read_as_utc(text: str, utc: datetime) -> None:
    assert parse_instant(text) == utc


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-01T08:00:00",  # no zone: UTC or Beijing? refused
        "2026-11-01T08:00",
        "2026-11-01T08:00Z",
        "2026-11-01T08:00:00+08",
        "2026-11-01T08:00:00+0800",
        "2026-11-01T08:00:00+24:00",
        "2026-11-01T24:00:00Z",
        "2026-11-01T23:59:60Z",
        "2026-W44-7T08:00:00Z",
        "2026-11-01T08:00:00Z ",
        "2026-11-01T08:00:00Z\x00",
        "1e999",
        "NaN",
    ],
)
def test_loose_instants_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_instant(text)


def test_an_instant_before_year_1_in_utc_is_out_of_range_not_a_crash() -> None:
    with pytest.raises(OverflowError):
        parse_instant("0001-01-01T00:00:00+01:00")


def test_stored_text_sorts_in_time_even_before_year_1000() -> None:
    early = sqlite_text(datetime(999, 1, 1, tzinfo=UTC))
    late = sqlite_text(datetime(2026, 1, 1, tzinfo=UTC))
    assert early == "0999-01-01 00:00:00.000000" and early < late
    assert late == "2026-01-01 00:00:00.000000"
