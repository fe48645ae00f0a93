"""Times from the command line and test data: ISO 8601, and UTC when no offset is given."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from readers.qr import parse_time


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("2021-06-01T12:00:00", datetime(2021, 6, 1, 12, tzinfo=UTC)),
        ("2021-06-01T12:00:00Z", datetime(2021, 6, 1, 12, tzinfo=UTC)),
        ("2021-06-01T20:00:00+08:00", datetime(2021, 6, 1, 12, tzinfo=UTC)),
        ("2021-07-02T07:44:21+0000", datetime(2021, 7, 2, 7, 44, 21, tzinfo=UTC)),
        ("2021-06-08T20:17:27.9906293Z", datetime(2021, 6, 8, 20, 17, 27, 990629, tzinfo=UTC)),
        ("2021-06-01", datetime(2021, 6, 1, tzinfo=UTC)),
    ],
)
def test_iso_times_with_and_without_offset(text: str, moment: datetime) -> None:
    assert parse_time(text) == moment


def test_the_offset_given_is_kept() -> None:
    assert parse_time("2021-06-01T20:00:00+08:00").utcoffset() == timedelta(hours=8)
    assert parse_time("2021-06-01T20:00:00+08:00").tzinfo == timezone(timedelta(hours=8))


@pytest.mark.parametrize("text", ["yesterday", "2021-13-01T00:00:00", ""])
def test_other_text_says_what_was_expected(text: str) -> None:
    with pytest.raises(ValueError, match="expected ISO 8601 such as 2021-06-01T12:00:00"):
        parse_time(text)
