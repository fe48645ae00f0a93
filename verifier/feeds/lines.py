"""A feed's bytes as blocks of decoded lines, bounded while streaming: the file is read a
megabyte at a time and cut at line breaks (LF; a CR before it stays on the line), so no line —
not even a 2 GB one without a break — is ever held longer than ``MAX_LINE_BYTES``. A line that is
too long or not UTF-8 becomes an empty line marked bad in its block, for the parsers to report
as a rejected row under its number; the lines around it are unaffected.

Each block is decoded by one ``bytes.decode`` and cut by one ``str.split`` (C calls over a
megabyte, none per line): at a million rows a Python call per line costs as much as parsing."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Protocol, runtime_checkable

READ_BYTES = 1 << 20
MAX_LINE_BYTES = 65_536
"""The longest line accepted, its line break included; a real row is a few hundred bytes."""
TOO_LONG = f"line longer than {MAX_LINE_BYTES} bytes"
NOT_UTF8 = "not UTF-8 text; expected UTF-8 (a GBK export? save it as CSV UTF-8)"
_BOM = b"\xef\xbb\xbf"
_HEAD_BYTES = 16  # enough for every signature below and a BOM
_SIGNATURES = (
    (b"\x1f\x8b", "gzip-compressed"),
    (b"BZh", "bzip2-compressed"),
    (b"\xfd7zXZ\x00", "xz-compressed"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed"),
    (b"PK\x03\x04", "a ZIP archive (an .xlsx workbook?)"),
    (b"\xd0\xcf\x11\xe0", "an Excel .xls workbook"),
    (b"%PDF-", "a PDF document"),
    (b"\xff\xfe", "UTF-16 text"),
    (b"\xfe\xff", "UTF-16 text"),
)
"""What a careless provider uploads instead of the export itself, by its first bytes."""


class FeedUnusable(Exception):
    """The file as a whole cannot be imported (exit 2, HTTP 422); one plain line."""


@runtime_checkable
class Readable(Protocol):
    def read(self, size: int, /) -> bytes: ...


@dataclass(frozen=True, slots=True)
class Block:
    """Consecutive lines of the file, without their LF."""

    first: int
    """The line number (1-based) of ``lines[0]``."""
    lines: list[str]
    bad: dict[int, str]
    """Index in ``lines`` → why that line cannot be read (its text is then empty)."""

    def after(self, index: int) -> Block:
        """The lines after ``lines[index]``."""
        bad = {i - index - 1: why for i, why in self.bad.items() if i > index}
        return Block(self.first + index + 1, self.lines[index + 1 :], bad)


class Lines:
    """The blocks of a binary file (anything with ``read``) or of an iterable of byte chunks of
    any size (lines, say); ``consumed`` counts the bytes taken so far, for a progress bar."""

    def __init__(self, source: Readable | Iterable[bytes]) -> None:
        self._source = source
        self.consumed = 0

    def _chunks(self) -> Iterator[bytes]:
        """The source's bytes, counted; its first bytes checked for a file sent by mistake and
        a BOM dropped."""
        source = self._source
        chunks = (
            iter(partial(source.read, READ_BYTES), b"")
            if isinstance(source, Readable)
            else iter(source)
        )
        head = b""
        for chunk in chunks:
            self.consumed += len(chunk)
            head += chunk
            if len(head) >= _HEAD_BYTES:
                break
        _check_signature(head)
        yield head.removeprefix(_BOM)
        for chunk in chunks:
            self.consumed += len(chunk)
            yield chunk

    def __iter__(self) -> Iterator[Block]:
        pending = bytearray()
        first = 1  # the number of the first line in ``pending``
        skipping = False  # inside a line already reported too long: drop up to its LF
        for chunk in self._chunks():
            if skipping:
                end = chunk.find(b"\n")
                if end < 0:
                    continue
                skipping = False
                chunk = chunk[end + 1 :]
            pending += chunk
            if len(pending) < READ_BYTES:
                continue
            cut = pending.rfind(b"\n") + 1
            data = bytes(pending[:cut])
            del pending[:cut]
            long_line = len(pending) > MAX_LINE_BYTES
            if long_line:  # the unfinished line is already too long: an empty line stands in
                pending.clear()
                data += b"\n"
                skipping = True
            block = _block(first, data, long_line)
            first += len(block.lines)
            yield block
        if pending:
            yield _block(first, bytes(pending), False)


def _check_signature(head: bytes | bytearray) -> None:
    for magic, what in _SIGNATURES:
        if head.startswith(magic):
            raise FeedUnusable(f"the file is {what}; expected CSV or NDJSON as UTF-8 text")
    first_line = head[: head.find(b"\n")] if b"\n" in head else head
    if b"\x00" in first_line:
        raise FeedUnusable("line 1 holds NUL bytes (UTF-16, or not text at all); expected UTF-8")


def _block(first: int, data: bytes, long_last: bool) -> Block:
    """``data``: whole lines, each ending in LF except perhaps the file's last; ``long_last``:
    its last line stands in for one that was too long."""
    try:
        lines = data.decode().split("\n")
        bad: dict[int, str] = {}
    except UnicodeDecodeError:
        lines, bad = _decode_each(data.split(b"\n"))
    if data.endswith(b"\n"):
        lines.pop()  # what follows the last LF is the next block's
    if long_last:
        bad[len(lines) - 1] = TOO_LONG
    if lines and max(map(len, lines)) * 4 > MAX_LINE_BYTES:  # only then can one be too long
        for i, text in enumerate(lines):
            if len(text) * 4 > MAX_LINE_BYTES and len(text.encode()) + 1 > MAX_LINE_BYTES:
                lines[i] = ""
                bad[i] = TOO_LONG
    return Block(first, lines, bad)


def _decode_each(raw: list[bytes]) -> tuple[list[str], dict[int, str]]:
    """A block that is not all UTF-8, line by line: only the bad lines are lost."""
    lines: list[str] = []
    bad: dict[int, str] = {}
    for i, line in enumerate(raw):
        try:
            lines.append(line.decode())
        except UnicodeDecodeError:
            lines.append("")
            bad[i] = NOT_UTF8
    return lines, bad
