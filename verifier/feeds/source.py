"""Feed files as a stream of ``(row number, values)``: CSV with a header row, or NDJSON (one
object per line), told apart by the first non-blank byte. A row's values come in the kind's
``fields`` order, whatever the file's column order. Never reads a file whole; the row number is
the line in the file (the CSV header is line 1).

Lines are decoded a block at a time and reach the C ``csv`` reader through ``chain``, so no
Python code runs per line: at a million rows, a Python call per line costs as much as parsing."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator
from itertools import chain, islice
from operator import itemgetter
from typing import Any

from verifier.feeds.rows import COLUMNS, IDENTITY, RowError, fields

Parsed = tuple[int, tuple[Any, ...] | RowError]
BLOCK_LINES = 4096
_BOM = b"\xef\xbb\xbf"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}")
_CSV_PROBLEMS = (
    ("field larger", "a field is longer than {limit} characters"),
    ("new-line", "a line break inside an unquoted field; expected it quoted"),
)


def _named(position: int, name: str) -> str:
    """A column as a message may show it: by name when it looks like one, else by position
    (a file without a header row would otherwise echo an ID number)."""
    return repr(name) if _NAME.fullmatch(name) else f"number {position}"


class FeedUnusable(Exception):
    """The file as a whole cannot be imported (exit 2); one plain line."""


class _Lines:
    """Decoded lines of a byte stream (``text``), counting bytes for the progress bar. A block
    that is not UTF-8 is decoded again line by line: a bad line becomes a rejected row instead of
    ending the import."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._read = 0
        self.bad: set[int] = set()
        self.consumed = 0
        self.text: Iterator[str] = chain.from_iterable(self._blocks())

    def _blocks(self) -> Iterator[list[str]]:
        while raw := list(islice(self._chunks, BLOCK_LINES)):
            self.consumed += sum(map(len, raw))
            if self._read == 0 and raw[0].startswith(_BOM):
                raw[0] = raw[0][len(_BOM) :]
            try:
                lines = list(map(bytes.decode, raw))
            except UnicodeDecodeError:
                lines = [self._decode(self._read + i, line) for i, line in enumerate(raw, 1)]
            self._read += len(raw)
            yield lines

    def _decode(self, number: int, raw: bytes) -> str:
        try:
            return raw.decode()
        except UnicodeDecodeError:
            self.bad.add(number)
            return raw.decode(errors="replace")


def parse_feed(kind: str, chunks: Iterable[bytes]) -> tuple[_Lines, Iterator[Parsed]]:
    """Sniff the format and check the columns; FeedUnusable when the file cannot be a feed."""
    lines = _Lines(chunks)
    line, first = 0, ""
    for first in lines.text:
        line += 1
        if first.strip():
            break
    if not first.strip():
        raise FeedUnusable("the file is empty; expected a CSV header row or NDJSON objects")
    if line in lines.bad:
        raise FeedUnusable(f"line {line}: not UTF-8 text; expected CSV or NDJSON in UTF-8")
    if first.lstrip().startswith("{"):
        return lines, _ndjson(kind, line, first, lines)
    return lines, _csv(kind, line, first, lines)


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
    if len(set(header)) != len(header):
        raise FeedUnusable("header: a column appears twice")


def _csv_problem(exc: csv.Error) -> RowError:
    """The csv module's complaint in the feed's words (it never quotes the data)."""
    message = str(exc)
    for start, reason in _CSV_PROBLEMS:
        if message.startswith(start):
            return RowError("row", reason.format(limit=csv.field_size_limit()))
    return RowError("row", "not a CSV row")


def _csv(kind: str, header_line: int, first: str, lines: _Lines) -> Iterator[Parsed]:
    header = [c.strip() for c in next(csv.reader([first]))]
    _check_header(kind, header)
    width = len(header)
    # A column the file lacks reads the "" appended to each row (an empty value: missing).
    positions = [header.index(c) if c in header else width for c in fields(kind)]
    pick = itemgetter(*positions)
    pad = width in positions
    reader = csv.reader(lines.text)
    bad = lines.bad

    def rows() -> Iterator[Parsed]:
        while True:
            try:
                for values in reader:
                    if not values:
                        continue
                    line = header_line + reader.line_num
                    if bad and line in bad:
                        yield line, RowError("row", "not UTF-8 text")
                    elif len(values) != width:
                        yield line, RowError("row", f"expected {width} fields, got {len(values)}")
                    else:
                        if pad:
                            values.append("")
                        yield line, pick(values)
                return
            except csv.Error as exc:
                yield header_line + reader.line_num, _csv_problem(exc)

    return rows()


def _ndjson(kind: str, first_line: int, first: str, lines: _Lines) -> Iterator[Parsed]:
    names = fields(kind)
    known = frozenset(names)

    def parse(line: int, text: str) -> Parsed:
        if line in lines.bad:
            return line, RowError("row", "not UTF-8 text")
        try:
            obj = json.loads(text)
        except ValueError:
            return line, RowError("row", "not a JSON object")
        if not isinstance(obj, dict):
            return line, RowError("row", "not a JSON object")
        if not known.issuperset(obj):
            extra = next((i, str(k)) for i, k in enumerate(obj, 1) if k not in known)
            return line, RowError("row", f"unknown field {_named(*extra)} for {kind}")
        return line, tuple(map(obj.get, names))

    def rows() -> Iterator[Parsed]:
        yield parse(first_line, first)
        for line, text in enumerate(lines.text, first_line + 1):
            if text.strip():
                yield parse(line, text)

    return rows()
