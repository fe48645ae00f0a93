"""CSV and NDJSON files → rows by line number. A malformed line is one RowError under its number
(never an exception, never the lines after it); a file that cannot be a feed is FeedUnusable."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from typing import Any

import pytest

from verifier.feeds.lines import MAX_LINE_BYTES, TOO_LONG
from verifier.feeds.rows import RowError
from verifier.feeds.source import FeedUnusable, Format, parse_feed

HEADER = "id_number,color,updated_at"
T = "2026-11-01T00:00:00Z"


def parse(body: str | bytes, kind: str = "codes", fmt: Format | None = None) -> dict[int, Any]:
    """Line → the row's values in ``fields`` order (id_number, subject, color, updated_at,
    reason, nat_at, vaccine_doses), or ``(field, reason)`` for a rejected line."""
    data = body.encode() if isinstance(body, str) else body
    _, rows = parse_feed(kind, io.BytesIO(data), fmt)
    return {
        line: (values.field, values.reason) if isinstance(values, RowError) else values
        for line, values in rows
    }


def unusable(body: str | bytes, kind: str = "codes", fmt: Format | None = None) -> str:
    with pytest.raises(FeedUnusable) as caught:
        parse(body, kind, fmt)
    return str(caught.value)


def row(number: str, color: str = "green") -> tuple[Any, ...]:
    return (number, "", color, T, "", "", "")


def nd_row(number: str) -> tuple[Any, ...]:
    """An NDJSON row of ``obj``: absent fields are None."""
    return (number, None, "green", T, None, None, None)


def test_a_stray_quote_costs_its_own_line_only() -> None:
    lines = parse(f'{HEADER}\na,green,{T}\nb,"green,{T}\nc,green,{T}\nd,red,"{T}"\n')
    assert lines == {
        2: row("a"),
        3: ("row", 'a quoted field is not closed on its line (a stray "?)'),
        4: row("c"),
        5: row("d", "red"),
    }


def test_a_cell_with_a_line_break_is_refused_and_the_rows_after_it_are_read() -> None:
    body = f'id_number,color,reason,updated_at\na,red,"close\ncontact",{T}\nb,green,x,{T}\n'
    lines = parse(body)
    assert lines[2] == ("row", 'a quoted field is not closed on its line (a stray "?)')
    assert lines[3] == ("row", "expected 4 fields, got 2")
    assert lines[4] == ("b", "", "green", T, "x", "", "")


def test_a_stray_quote_at_a_block_end_does_not_swallow_the_next_block() -> None:
    filler = "".join(f"n{i},green,{T}\n" for i in range(40_000))  # past one read block
    lines = parse(f'{HEADER}\n{filler}z,"green,{T}\n' + f"last,green,{T}\n" * 3)
    assert len(lines) == 40_000 + 4
    assert lines[40_002] == ("row", 'a quoted field is not closed on its line (a stray "?)')
    assert lines[40_005] == row("last")


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (f"a,green,{T},extra", "expected 3 fields, got 4"),
        ("a,green", "expected 3 fields, got 2"),
        (f"a,gr\reen,{T}", "a line break (CR) inside a field; expected lines ending in LF or CRLF"),
        (f'a,"gr"een,{T}', 'a quote inside a quoted field must be doubled ("")'),
        ("   ", "expected 3 fields, got 1"),
    ],
)
def test_malformed_csv_rows_are_rejected_by_line(line: str, reason: str) -> None:
    assert parse(f"{HEADER}\n{line}\nb,green,{T}\n") == {2: ("row", reason), 3: row("b")}


def test_blank_lines_crlf_nul_and_long_lines_keep_their_numbers() -> None:
    body = (
        f"\r\n{HEADER}\r\n\r\na,green,{T}\r\nb,gr\x00een,{T}\r\n"
        + "c" * MAX_LINE_BYTES
        + f"\r\nd,green,{T}"  # no LF at the end: still a row
    )
    assert parse(body) == {
        4: row("a"),
        5: ("b", "", "gr\x00een", T, "", "", ""),  # the validator refuses the colour
        6: ("row", TOO_LONG),
        7: row("d"),
    }


def test_a_quoted_header_and_columns_in_any_order() -> None:
    lines = parse(f'"updated_at", color ,"id_number"\n{T},red,a\n')
    assert lines == {2: row("a", "red")}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "the file is empty"),
        ("\n \r\n\t\n", "the file is empty"),
        ("id_number,color,updated_at," + "x" * 131_073 + "\n", f"line 1: {TOO_LONG}"),
        ("\n\nid_number,colour,updated_at\n", "unknown column 'colour'"),
        ("id_number,color,color,updated_at\n", "column 'color' appears twice"),
        ("id_number,updated_at\n", "missing column 'color'"),
        ("color,updated_at\n", "missing column 'id_number' (or 'subject')"),
        ('id_number,"color\n', "line 1: header: a quoted field is not closed"),
        ("id_number,color,updated_at\rx,green,2026\r", "line 1: header: a line break (CR)"),
        ('[{"id_number": "x"}]\n', "line 1: a JSON array; expected NDJSON"),
        ('{\n  "id_number": "x"\n}\n', "line 1: a JSON object spread over several lines"),
        (b"id_number,\xff\n", "line 1: not UTF-8 text"),
    ],
)
def test_files_that_cannot_be_a_feed_are_refused_in_one_line(
    body: str | bytes, message: str
) -> None:
    refusal = unusable(body)
    assert message in refusal and "\n" not in refusal


def test_a_headerless_csv_never_echoes_its_first_row() -> None:
    refusal = unusable("11010519491231002X,green,2026-11-01T00:00:00Z\n")
    assert "unknown column number 1" in refusal and "11010519491231002X" not in refusal


def test_the_declared_format_is_held_to_the_first_line() -> None:
    ndjson = json.dumps({"id_number": "a", "color": "green", "updated_at": T}) + "\n"
    assert "sent as CSV" in unusable(ndjson, fmt="csv")
    assert "sent as NDJSON" in unusable(f"{HEADER}\na,green,{T}\n", fmt="ndjson")
    assert parse(ndjson, fmt="ndjson") == {1: nd_row("a")}
    assert parse(f"{HEADER}\na,green,{T}\n", fmt="csv") == {2: row("a")}


def obj(**values: Any) -> str:
    return json.dumps({"id_number": "a", "color": "green", "updated_at": T, **values})


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('{"id_number": "a", "color": "green", "vaccine_doses": 1e999}', Decimal("1e999")),
        ('{"id_number": "a", "color": "green", "vaccine_doses": Infinity}', Decimal("Infinity")),
        ('{"id_number": "a", "color": "green", "vaccine_doses": -Infinity}', Decimal("-Infinity")),
        ('{"id_number": "a", "color": "green", "vaccine_doses": 3.0}', Decimal("3.0")),
    ],
)
def test_json_numbers_that_are_not_integers_reach_the_validator_as_decimals(
    line: str, expected: Decimal
) -> None:
    doses = parse(line + "\n")[1][6]
    assert type(doses) is Decimal and str(doses) == str(expected)


def test_json_nan_reaches_the_validator_as_a_decimal_nan() -> None:
    doses = parse('{"id_number": "a", "vaccine_doses": NaN}\n')[1][6]
    assert type(doses) is Decimal and doses.is_nan()


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("[1, 2]", "not a JSON object"),
        ('"a string"', "not a JSON object"),
        ("null", "not a JSON object"),
        ("[]", "not a JSON object"),
        ('{"id_number": "a", "color": "green", "color": "red"}', "field 'color' appears twice"),
        ('{"id_number": "a", "colour": "green"}', "unknown field 'colour' for codes"),
        ('{"11010519491231002X": 1}', "unknown field number 1 for codes"),
        ('{"id_number": "a", "vaccine_doses": ' + "9" * 5000 + "}", "too many digits"),
        ('{"id_number": "a", "reason": ' + "[" * 30_000 + "]" * 30_000 + "}", "nested too deeply"),
        ('{"id_number": "a", "reason": ' + "[" * 100_000 + "]" * 100_000 + "}", TOO_LONG),
        ('{"id_number": "a", "reason": "' + "x" * 100_000 + '"}', TOO_LONG),
        ('{"id_number": "a", "color": "gr', "not JSON: Unterminated string"),
        ('{"id_number": "a"} {"id_number": "b"}', "not JSON: Extra data (column 20)"),
    ],
)
def test_malformed_ndjson_lines_are_rejected_and_the_next_line_read(line: str, reason: str) -> None:
    lines = parse(f"{obj(id_number='first')}\n{line}\n{obj(id_number='after')}\n")
    assert lines[1] == nd_row("first") and lines[3] == nd_row("after")
    assert lines[2][0] == "row" and reason in lines[2][1], lines[2]


def test_ndjson_values_of_any_type_reach_the_validator_and_empty_objects_lack_fields() -> None:
    lines = parse(f'{obj()}\n{{"id_number": {{"a": 1}}, "color": [1], "reason": true}}\n{{}}\n')
    assert lines[2] == ([("a", 1)], None, [1], None, True, None, None)
    assert lines[3] == (None,) * 7


def test_a_truncated_last_line_is_a_rejected_row_not_a_lost_file() -> None:
    body = f"{obj()}\n{obj(id_number='b')}\n" + obj(id_number="c")[:25]
    lines = parse(body)
    assert lines[1] == nd_row("a") and lines[2] == nd_row("b") and lines[3][0] == "row"
