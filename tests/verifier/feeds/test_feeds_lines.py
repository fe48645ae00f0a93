"""A feed's bytes → numbered lines, bounded while streaming: a line too long or not UTF-8 is
marked under its number and costs nothing else; compressed or UTF-16 files are named."""

from __future__ import annotations

import gzip
import io
import tracemalloc
import zipfile
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from verifier.feeds.lines import (
    MAX_LINE_BYTES,
    NOT_UTF8,
    READ_BYTES,
    TOO_LONG,
    FeedUnusable,
    Lines,
)


def numbered(source: object) -> dict[int, str]:
    """Line number → text, or ``!why`` for a bad line."""
    out: dict[int, str] = {}
    for block in Lines(source):  # type: ignore[arg-type]
        for index, text in enumerate(block.lines):
            why = block.bad.get(index)
            out[block.first + index] = f"!{why}" if why is not None else text
    return out


class EndlessLine:
    """A file of ``size`` bytes: one line of ``x`` without a break, then ``tail``; made as it is
    read, so the test itself holds one chunk."""

    def __init__(self, size: int, tail: bytes) -> None:
        self.left = size
        self.tail = tail
        self.chunk = b"x" * READ_BYTES

    def read(self, size: int) -> bytes:
        if self.left > 0:
            self.left -= READ_BYTES
            return self.chunk[:size]
        tail, self.tail = self.tail, b""
        return tail


def test_a_2_gib_line_is_never_held_and_the_next_line_is_read() -> None:
    tracemalloc.start()
    try:
        lines = numbered(EndlessLine(2 << 30, b"\nid,after\n"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert lines == {1: f"!{TOO_LONG}", 2: "id,after"}
    assert peak < 8 * READ_BYTES, peak


def test_long_lines_anywhere_cost_only_themselves() -> None:
    long = b"y" * (MAX_LINE_BYTES + 1)
    at_limit = b"z" * (MAX_LINE_BYTES - 1)  # with its LF: exactly the limit
    chinese = "张".encode() * (MAX_LINE_BYTES // 3 + 1)  # few characters, too many bytes
    body = b"\n".join([b"a", long, b"b", at_limit, chinese, b"c" * (3 * READ_BYTES), b"d"])
    lines = numbered(io.BytesIO(body))
    assert lines == {
        1: "a",
        2: f"!{TOO_LONG}",
        3: "b",
        4: at_limit.decode(),
        5: f"!{TOO_LONG}",
        6: f"!{TOO_LONG}",
        7: "d",
    }


def test_a_line_that_is_not_utf8_is_marked_and_its_neighbours_read() -> None:
    body = "id,名\n".encode() + "广州,x\n".encode("gbk") + b"ok\r\n\xff"
    assert numbered(io.BytesIO(body)) == {
        1: "id,名",
        2: f"!{NOT_UTF8}",
        3: "ok\r",
        4: f"!{NOT_UTF8}",
    }


def test_a_bom_is_dropped_and_crlf_keeps_its_cr_for_the_parsers() -> None:
    assert numbered(io.BytesIO(b"\xef\xbb\xbfa,b\r\n1,2\r\n")) == {1: "a,b\r", 2: "1,2\r"}


def test_a_last_line_without_a_break_is_still_a_line() -> None:
    assert numbered([b"a\nb", b"c"]) == {1: "a", 2: "bc"}


@given(st.binary(max_size=300), st.lists(st.integers(1, 40), max_size=30))
def test_any_chunking_of_the_same_bytes_gives_the_same_lines(data: bytes, cuts: list[int]) -> None:
    data = b"#" + data.replace(b"\x00", b"")  # never a file signature or NUL in line 1
    chunks, rest = [], data
    for cut in cuts:
        chunks.append(rest[:cut])
        rest = rest[cut:]
    chunks.append(rest)
    assert numbered(iter(chunks)) == numbered(io.BytesIO(data))


def _xlsx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as book:
        book.writestr("xl/workbook.xml", "<workbook/>")
    return out.getvalue()


@pytest.mark.parametrize(
    ("body", "named"),
    [
        (gzip.compress(b"id_number,color,updated_at\n"), "gzip-compressed"),
        (_xlsx(), "ZIP archive"),
        ("id_number,color,updated_at\n".encode("utf-16"), "UTF-16"),
        ("id_number,color\n".encode("utf-16-le"), "NUL bytes"),
        (b"%PDF-1.7\n", "PDF"),
    ],
)
def test_files_sent_by_mistake_are_named(body: bytes, named: str) -> None:
    with pytest.raises(FeedUnusable, match=named):
        numbered(io.BytesIO(body))


def test_consumed_counts_the_bytes_read_for_the_progress_bar() -> None:
    body = b"a,b\n" * 1000
    lines = Lines(io.BytesIO(body))
    blocks: Iterator[object] = iter(lines)
    list(blocks)
    assert lines.consumed == len(body)
