"""Feed files as a stream of ``(line number, values)``: CSV with a header row, or NDJSON (one
object per line). The format is the caller's (a request's Content-Type) or else told by the first
non-blank line: ``{`` starts NDJSON, anything else a CSV header. A row's values come in the
kind's ``fields`` order, whatever the file's column order; a row that cannot be read comes as a
``RowError`` under its line number, and the rows after it are read as usual.

One row per line, in both formats: a CSV quoted field that runs past its line's end (a stray
``"``, or a cell with a line break) makes that line a rejected row, and the lines it would have
swallowed are read one by one, so a single stray quote never costs the rows after it. The C
``csv`` reader runs over a whole block of lines; only a block that needs it is read line by line.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal
from itertools import chain
from operator import itemgetter
from typing import Any, Literal

from verifier.feeds.lines import Block, FeedUnusable, Lines, Readable
from verifier.feeds.rows import COLUMNS, IDENTITY, RowError, fields
from verifier.idnumber import ID_SHAPED

Format = Literal["csv", "ndjson"]
Values = tuple[Any, ...]
Parsed = tuple[int, Values | RowError]
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}")
_CSV_PROBLEMS = (
    ("unexpected end of data", 'a quoted field is not closed on its line (a stray "?)'),
    ("new-line", "a line break (CR) inside a field; expected lines ending in LF or CRLF"),
    ("field larger", "a field longer than {limit} characters"),
    ("'", 'a quote inside a quoted field must be doubled ("")'),
)
_JSON = json.JSONDecoder(
    # Pairs, so that a key given twice is seen; numbers with a fraction or exponent and the
    # non-JSON NaN/Infinity as Decimal, which no field accepts (1e999 as a float is infinite).
    object_pairs_hook=list,
    parse_float=Decimal,
    parse_constant=Decimal,
)


def _named(position: int, name: str) -> str:
    """A column as a message may show it: by name when it looks like one, else by position
    (a file without a header row, or one run into its first row, would otherwise echo an ID
    number)."""
    if _NAME.fullmatch(name) and ID_SHAPED.search(name) is None:
        return repr(name)
    return f"number {position}"


def parse_feed(
    kind: str, source: Readable | Iterable[bytes], fmt: Format | None = None
) -> tuple[Lines, Iterator[Parsed]]:
    """Find the first line and the format, check the columns; FeedUnusable when the file cannot
    be a feed of ``kind``."""
    lines = Lines(source)
    blocks = iter(lines)
    for block in blocks:
        for index, text in enumerate(block.lines):
            number = block.first + index
            if index in block.bad:
                raise FeedUnusable(
                    f"line {number}: {block.bad[index]}; expected a CSV header row or an "
                    "NDJSON object"
                )
            if text.strip():
                rest = chain([block.after(index)], blocks)
                return lines, _open(kind, fmt, number, text, rest)
    raise FeedUnusable("the file is empty; expected a CSV header row or NDJSON objects")


def _open(
    kind: str, fmt: Format | None, number: int, text: str, rest: Iterator[Block]
) -> Iterator[Parsed]:
    start = text.lstrip()[:1]
    if start == "[":
        raise FeedUnusable(f"line {number}: a JSON array; expected NDJSON, one object per line")
    if fmt is None:
        fmt = "ndjson" if start == "{" else "csv"
    if fmt == "csv":
        if start == "{":
            raise FeedUnusable(f"line {number}: a JSON object, but the file was sent as CSV")
        return _csv(kind, number, text, rest)
    if start != "{":
        raise FeedUnusable(f"line {number}: not a JSON object, but the file was sent as NDJSON")
    if text.strip() == "{":
        raise FeedUnusable(
            f"line {number}: a JSON object spread over several lines; expected NDJSON, one "
            "object per line"
        )
    return _ndjson(kind, number, text, rest)


def _check_header(kind: str, header: list[str]) -> None:
    required, optional = COLUMNS[kind]
    known = set(required) | set(optional) | set(IDENTITY)
    unknown = [(i, c) for i, c in enumerate(header, 1) if c not in known]
    if unknown:
        raise FeedUnusable(
            f"header: unknown column {_named(*unknown[0])} for {kind} (is the header row "
            f"missing?); expected id_number or subject, {', '.join(required + optional)}"
        )
    missing = [c for c in required if c not in header]
    if missing:
        raise FeedUnusable(f"header: missing column {missing[0]!r} for {kind}")
    if not set(IDENTITY) & set(header):
        raise FeedUnusable("header: missing column 'id_number' (or 'subject')")
    repeated = next((c for i, c in enumerate(header) if c in header[:i]), None)
    if repeated is not None:
        raise FeedUnusable(f"header: column {repeated!r} appears twice")


def _csv_reason(exc: csv.Error) -> str:
    """The csv module's complaint in the feed's words (it never quotes the data)."""
    message = str(exc)
    for start, reason in _CSV_PROBLEMS:
        if message.startswith(start):
            return reason.format(limit=csv.field_size_limit())
    return "not a CSV row"


def _csv(kind: str, header_line: int, first: str, blocks: Iterator[Block]) -> Iterator[Parsed]:
    try:
        header = [c.strip() for c in next(csv.reader((first,), strict=True))]
    except csv.Error as exc:
        raise FeedUnusable(f"line {header_line}: header: {_csv_reason(exc)}") from None
    _check_header(kind, header)
    width = len(header)
    # A column the file lacks reads the "" appended to each row (an empty value: missing).
    positions = [header.index(c) if c in header else width for c in fields(kind)]
    pick = itemgetter(*positions)
    pad = width in positions

    def shaped(values: list[str]) -> Values | RowError:
        if len(values) != width:
            return RowError("row", f"expected {width} fields, got {len(values)}")
        if pad:
            values.append("")
        return pick(values)

    def one_by_one(block: Block, start: int, stop: int) -> Iterator[Parsed]:
        """``block.lines[start:stop]`` each on its own, so that no line swallows the next."""
        for index in range(start, stop):
            number = block.first + index
            if index in block.bad:
                yield number, RowError("row", block.bad[index])
                continue
            try:
                values = next(csv.reader((block.lines[index],), strict=True), None)
            except csv.Error as exc:
                yield number, RowError("row", _csv_reason(exc))
                continue
            if values:
                yield number, shaped(values)

    def rows() -> Iterator[Parsed]:
        for block in blocks:
            if block.bad:
                yield from one_by_one(block, 0, len(block.lines))
                continue
            reader = csv.reader(block.lines, strict=True)
            first = block.first
            done = 0  # lines of the block read so far
            while True:
                try:
                    for values in reader:
                        end = reader.line_num
                        if end != done + 1:  # a quoted field ran over a line's end
                            yield from one_by_one(block, done, end)
                        elif len(values) == width:  # ``shaped``, inline: it runs per row
                            if pad:
                                values.append("")
                            yield first + done, pick(values)
                        elif values:
                            yield first + done, shaped(values)
                        done = end
                    break
                except csv.Error:
                    end = reader.line_num
                    yield from one_by_one(block, done, end)
                    done = end

    return rows()


def _ndjson(kind: str, first_line: int, first: str, blocks: Iterator[Block]) -> Iterator[Parsed]:
    names = fields(kind)
    known = frozenset(names)

    def parse(line: int, text: str) -> Parsed:
        try:
            pairs = _JSON.decode(text)
        except RecursionError:
            return line, RowError("row", "nested too deeply; expected one flat JSON object")
        except json.JSONDecodeError as exc:
            return line, RowError("row", f"not JSON: {exc.msg} (column {exc.colno})")
        except ValueError:  # an integer of more than sys.get_int_max_str_digits() digits
            return line, RowError("row", "a number with too many digits")
        if type(pairs) is not list or (pairs and type(pairs[0]) is not tuple):
            return line, RowError("row", "not a JSON object")
        if not pairs and not text.lstrip().startswith("{"):
            return line, RowError("row", "not a JSON object")
        obj = dict(pairs)
        if len(obj) != len(pairs):
            keys = [k for k, _ in pairs]
            twice = next(i for i, k in enumerate(keys, 1) if k in keys[: i - 1])
            return line, RowError("row", f"field {_named(twice, keys[twice - 1])} appears twice")
        if not known.issuperset(obj):
            extra = next((i, k) for i, k in enumerate(obj, 1) if k not in known)
            return line, RowError("row", f"unknown field {_named(*extra)} for {kind}")
        return line, tuple(map(obj.get, names))

    def rows() -> Iterator[Parsed]:
        yield parse(first_line, first)
        for block in blocks:
            bad = block.bad
            for index, text in enumerate(block.lines):
                if bad and index in bad:
                    yield block.first + index, RowError("row", bad[index])
                elif text.strip():
                    yield parse(block.first + index, text)

    return rows()
