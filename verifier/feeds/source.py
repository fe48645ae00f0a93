"""Feed files as a stream of ``(row number, fields)``: CSV with a header row, or NDJSON (one
object per line), told apart by the first non-blank byte. Never reads a file whole; the row
number is the line in the file (the CSV header is line 1)."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from verifier.feeds.rows import COLUMNS, IDENTITY, RowError

Parsed = tuple[int, dict[str, Any] | RowError]
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}")


def _named(position: int, name: str) -> str:
    """A column as a message may show it: by name when it looks like one, else by position
    (a file without a header row would otherwise echo an ID number)."""
    return repr(name) if _NAME.fullmatch(name) else f"number {position}"


class FeedUnusable(Exception):
    """The file as a whole cannot be imported (exit 2); one plain line."""


class _Lines:
    """Decoded lines of a byte stream, counting bytes for the progress bar; a line that is not
    UTF-8 becomes a rejected row instead of ending the import."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._lines = iter(chunks)
        self.number = 0
        self.bad: set[int] = set()
        self.consumed = 0

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        raw = next(self._lines)
        self.number += 1
        self.consumed += len(raw)
        if self.number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            self.bad.add(self.number)
            return raw.decode("utf-8", errors="replace")


def parse_feed(kind: str, chunks: Iterable[bytes]) -> tuple[_Lines, Iterator[Parsed]]:
    """Sniff the format and check the columns; FeedUnusable when the file cannot be a feed."""
    lines = _Lines(chunks)
    first = ""
    for first in lines:
        if first.strip():
            break
    if not first.strip():
        raise FeedUnusable("the file is empty; expected a CSV header row or NDJSON objects")
    if lines.bad:
        raise FeedUnusable("line 1: not UTF-8 text; expected CSV or NDJSON in UTF-8")
    if first.lstrip().startswith("{"):
        return lines, _ndjson(kind, first, lines)
    return lines, _csv(kind, first, lines)


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


def _csv(kind: str, first: str, lines: _Lines) -> Iterator[Parsed]:
    header = [c.strip() for c in next(csv.reader([first]))]
    _check_header(kind, header)
    width = len(header)
    reader = csv.reader(lines)

    def rows() -> Iterator[Parsed]:
        for values in reader:
            line = lines.number
            if not values:
                continue
            if line in lines.bad:
                yield line, RowError("row", "not UTF-8 text")
            elif len(values) != width:
                yield line, RowError("row", f"expected {width} fields, got {len(values)}")
            else:
                yield line, dict(zip(header, values, strict=True))

    return rows()


def _ndjson(kind: str, first: str, lines: _Lines) -> Iterator[Parsed]:
    required, optional = COLUMNS[kind]
    known = set(required) | set(optional) | set(IDENTITY)

    def parse(line: int, text: str) -> Parsed:
        if line in lines.bad:
            return line, RowError("row", "not UTF-8 text")
        try:
            obj = json.loads(text)
        except ValueError:
            return line, RowError("row", "not a JSON object")
        if not isinstance(obj, dict):
            return line, RowError("row", "not a JSON object")
        extra = [(i, str(k)) for i, k in enumerate(obj, 1) if k not in known]
        if extra:
            return line, RowError("row", f"unknown field {_named(*extra[0])} for {kind}")
        return line, obj

    def rows() -> Iterator[Parsed]:
        yield parse(lines.number, first)
        for text in lines:
            if text.strip():
                yield parse(lines.number, text)

    return rows()
