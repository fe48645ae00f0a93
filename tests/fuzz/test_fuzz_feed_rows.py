"""Feed files (verifier/feeds/source.py, rows.py): any bytes give rows, rejected rows (``RowError``
under their line number) or a whole-file ``FeedUnusable``; a bad line costs only itself."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fuzzing import (
    JSON_VALUES,
    LONG_DIGITS,
    NASTY_TEXT,
    corpus,
    deeply_nested,
    dumps,
    leaks_id_number,
    mutated_bytes,
    printable,
)
from hypothesis import given
from hypothesis import strategies as st

from verifier.feeds.rows import RowError, fields, validator
from verifier.feeds.source import FeedUnusable, parse_feed

KINDS = ("codes", "travel", "cards")
PEPPER = b"fuzz-pepper-0123456789abcdef0123456789"
NOW = datetime(2026, 12, 1, tzinfo=UTC)
"""The corpus's dates are real ones before this."""
GOOD = {
    kind: [
        param.values[0]
        for param in corpus(f"feeds/{kind}")
        if Path(str(param.id)).name.startswith("valid")
    ]
    for kind in KINDS
}
GOOD_ROWS = {
    kind: [
        json.loads(line)
        for data in GOOD[kind]
        if data.lstrip(b"\xef\xbb\xbf").startswith(b"{")
        for line in data.splitlines()
    ]
    for kind in KINDS
}
# Lines that may land anywhere in a file: garbage, rows nested or numbered past any limit.
BAD_LINES = st.one_of(
    NASTY_TEXT,
    JSON_VALUES.map(dumps),
    st.just('{"color": ' + deeply_nested(30_000) + "}"),
    st.just('{"vaccine_doses": ' + "9" * 5000 + "}"),
    st.sampled_from(
        ['{"vaccine_doses": 1e999}', '{"vaccine_doses": NaN}', '"', '{"a": 1, "a": 2}']
    ),
).map(lambda text: text.replace("\n", " ").replace("\r", " "))


def _check_message(message: str) -> None:
    printable(message)
    assert not LONG_DIGITS.search(message) and not leaks_id_number(message), message


def outcomes(kind: str, data: bytes) -> dict[int, Any]:
    """Line → the stored tuple or the rejected field; ``{0: "unusable"}`` for a refused file.

    Fails on any other exception, a line number out of order or beyond the file, or a message
    that repeats an ID number."""
    validate = validator(kind, PEPPER, NOW)
    try:
        _, rows = parse_feed(kind, io.BytesIO(data))
        results: dict[int, Any] = {}
        last, lines = 0, data.count(b"\n") + 1
        for line, values in rows:
            assert last < line <= lines, (last, line)
            last = line
            try:
                if isinstance(values, RowError):
                    raise values
                results[line] = validate(values)
            except RowError as error:
                _check_message(str(error))
                results[line] = f"rejected: {error.field}"
    except FeedUnusable as error:
        _check_message(str(error))
        return {0: "unusable"}
    return results


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("data", [param for kind in KINDS for param in corpus(f"feeds/{kind}")])
def test_the_corpus_as_every_kind(kind: str, data: bytes) -> None:
    outcomes(kind, data)


@pytest.mark.parametrize("kind", KINDS)
def test_valid_files_are_accepted_whole(kind: str) -> None:
    for data in GOOD[kind]:
        assert all(isinstance(result, tuple) for result in outcomes(kind, data).values())


@given(st.sampled_from(KINDS), st.binary(max_size=2000))
def test_arbitrary_bytes(kind: str, data: bytes) -> None:
    outcomes(kind, data)


@given(st.sampled_from(KINDS), st.data())
def test_valid_files_with_bytes_changed(kind: str, data: st.DataObject) -> None:
    outcomes(kind, data.draw(mutated_bytes(f"feeds/{kind}")))


@given(st.sampled_from(KINDS), st.data())
def test_ndjson_rows_with_any_values(kind: str, data: st.DataObject) -> None:
    names = st.sampled_from(fields(kind)) | NASTY_TEXT
    rows = data.draw(
        st.lists(
            st.builds(
                lambda base, changes: base | changes,
                st.sampled_from(GOOD_ROWS[kind]),
                st.dictionaries(names, JSON_VALUES, max_size=3),
            ),
            min_size=1,
            max_size=5,
        )
    )
    outcomes(kind, "".join(dumps(row) + "\n" for row in rows).encode("utf-8", "surrogatepass"))


@given(st.sampled_from(KINDS), st.data())
def test_csv_rows_with_any_cells(kind: str, data: st.DataObject) -> None:
    header = data.draw(st.permutations(fields(kind)[1:]))
    cells = st.lists(NASTY_TEXT | st.sampled_from(["", "green", "2026-11-01", "low"]))
    rows = data.draw(st.lists(cells, max_size=5))
    out = io.StringIO()
    csv.writer(out, lineterminator=data.draw(st.sampled_from(["\n", "\r\n"]))).writerows(
        [header, *rows]
    )
    outcomes(kind, out.getvalue().encode("utf-8", "surrogatepass"))


@given(st.sampled_from(KINDS), BAD_LINES, st.data())
def test_a_bad_line_costs_only_its_own_row(kind: str, bad: str, data: st.DataObject) -> None:
    """Dropped anywhere after the first line of a valid file: the other rows come out exactly
    as before, under their own (shifted) line numbers."""
    good = data.draw(st.sampled_from(GOOD[kind]))
    lines = good.splitlines(keepends=True)
    at = data.draw(st.integers(1, len(lines)))
    before = outcomes(kind, good)
    line = bad.encode("utf-8", "surrogatepass") + b"\n"
    after = outcomes(kind, b"".join([*lines[:at], line, *lines[at:]]))
    shifted = {line + (line > at): result for line, result in before.items()}
    assert {line: after.get(line) for line in shifted} == shifted
