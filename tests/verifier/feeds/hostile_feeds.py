"""Feed files as a careless provider or an attacker sends them, each with what the import must
make of it: rejected rows (line, field) with the good rows around them stored, or one refusal
of the whole file. The CLI and HTTP tests send the same files."""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from dataclasses import dataclass, field

from verifier_helpers import id_numbers

T = "2026-11-01T08:00:00+08:00"
CODES = "id_number,color,reason,updated_at,vaccine_doses"
TRAVEL = "id_number,place_code,visited_on,risk,updated_at"


@dataclass(frozen=True)
class Hostile:
    name: str
    kind: str
    body: bytes
    good: list[str] = field(default_factory=list)
    """ID numbers whose rows must be stored."""
    rejected: list[tuple[int, str]] = field(default_factory=list)
    """(line, field) of every rejected row."""
    unusable: str | None = None
    """A fragment of the one-line refusal of the whole file."""
    content_type: str | None = None
    """What an HTTP client declares (None: no Content-Type)."""
    secrets: list[str] = field(default_factory=list)
    """ID numbers in the file that must not appear in any answer."""


def _csv(
    name: str, seed: int, bad: str, *, kind: str = "codes", encoding: str = "utf-8"
) -> Hostile:
    """A header, a good row, ``bad`` (in ``encoding``; ``{n}`` is its ID number), a good row."""
    a, n, b = id_numbers(3, seed=seed)
    header, good = {
        "codes": (CODES, f"green,ok,{T},3"),
        "travel": (TRAVEL, f"440106,2026-11-25,high,{T}"),
    }[kind]
    body = f"{header}\n{a},{good}\n".encode() + bad.format(n=n).encode(encoding)
    body += f"\n{b},{good}\n".encode()
    return Hostile(name, kind, body, good=[a, b], secrets=[a, n, b], content_type="text/csv")


def _ndjson(name: str, seed: int, bad: str) -> Hostile:
    """A good object, ``bad`` (an object's text, its number is ``{n}``), a good object."""
    a, n, b = id_numbers(3, seed=seed)

    def good(number: str) -> str:
        return json.dumps({"id_number": number, "color": "green", "updated_at": T})

    body = "\n".join([good(a), bad.replace("{n}", n), good(b)]) + "\n"
    return Hostile(
        name,
        "codes",
        body.encode(),
        good=[a, b],
        secrets=[a, n, b],
        content_type="application/x-ndjson",
    )


def _rows(case: Hostile, *rejected: tuple[int, str]) -> Hostile:
    return Hostile(**{**vars(case), "rejected": list(rejected)})


def _refused(name: str, body: bytes, message: str, secrets: tuple[str, ...] = ()) -> Hostile:
    return Hostile(name, "codes", body, unusable=message, secrets=list(secrets))


def _xlsx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as book:
        book.writestr("xl/worksheets/sheet1.xml", "<worksheet/>")
    return out.getvalue()


def _nd_field(value: str) -> str:
    """An NDJSON row for ``{n}`` with one more member, as raw JSON text."""
    return '{"id_number": "{n}", "color": "green", "updated_at": "' + T + '", ' + value + "}"


def cases() -> list[Hostile]:
    (secret,) = id_numbers(1, seed=999)
    header = f"id_number,color,updated_at,{'x' * 131_073}\n{secret},green,{T},x\n".encode()
    return [
        # the examples
        _refused(
            "csv-header-field-131073-chars", header, "line 1: line longer than 65536", (secret,)
        ),
        _rows(
            _ndjson("ndjson-doses-1e999", 1, _nd_field('"vaccine_doses": 1e999')),
            (2, "vaccine_doses"),
        ),
        _rows(
            _ndjson("ndjson-doses-Infinity", 2, _nd_field('"vaccine_doses": Infinity')),
            (2, "vaccine_doses"),
        ),
        _rows(
            _ndjson("ndjson-doses-NaN", 3, _nd_field('"vaccine_doses": NaN')), (2, "vaccine_doses")
        ),
        _rows(
            _ndjson(
                "ndjson-nested-100000-deep",
                4,
                _nd_field('"reason": ' + "[" * 100_000 + "]" * 100_000),
            ),
            (2, "row"),
        ),
        _rows(
            _ndjson(
                "ndjson-nested-30000-deep", 5, _nd_field('"reason": ' + "[" * 30_000 + "]" * 30_000)
            ),
            (2, "row"),
        ),
        _rows(
            _csv("travel-iso-week-date", 6, "{n}," + f"440106,2026-W48-3,low,{T}", kind="travel"),
            (3, "visited_on"),
        ),
        # more of the same class
        _rows(
            _csv("csv-field-131073-chars", 7, "{n},green," + "r" * 131_073 + f",{T},3"), (3, "row")
        ),
        _rows(_csv("csv-line-3mib", 8, "{n},green," + "r" * (3 << 20) + f",{T},3"), (3, "row")),
        _rows(_csv("csv-nul-byte", 9, "{n},green,a\x00b," + f"{T},3"), (3, "reason")),
        _rows(_csv("csv-gbk-bytes", 10, "{n},green,广州," + f"{T},3", encoding="gbk"), (3, "row")),
        _rows(_csv("csv-too-many-fields", 11, "{n},green,ok," + f"{T},3,extra"), (3, "row")),
        _rows(_csv("csv-too-few-fields", 12, "{n},green"), (3, "row")),
        _rows(_csv("csv-stray-quote", 13, '{n},green,"ok,' + f"{T},3"), (3, "row")),
        _rows(_csv("csv-naive-time", 14, "{n},green,ok,2026-11-01T08:00:00,3"), (3, "updated_at")),
        _rows(_csv("csv-doses-float", 15, "{n},green,ok," + f"{T},3.0"), (3, "vaccine_doses")),
        _rows(_csv("csv-doses-negative", 16, "{n},green,ok," + f"{T},-1"), (3, "vaccine_doses")),
        _rows(_csv("csv-id-number-in-reason", 17, "{n},green,see {n}," + f"{T},3"), (3, "reason")),
        _rows(
            _csv("csv-year-1-placeholder", 18, "{n},green,ok,0001-01-01T00:00:00Z,3"),
            (3, "updated_at"),
        ),
        _rows(
            _ndjson("ndjson-doses-float", 19, _nd_field('"vaccine_doses": 3.0')),
            (2, "vaccine_doses"),
        ),
        _rows(
            _ndjson("ndjson-doses-huge", 20, _nd_field('"vaccine_doses": ' + "9" * 5000)),
            (2, "row"),
        ),
        _rows(
            _ndjson("ndjson-lone-surrogate", 21, _nd_field('"reason": "\\ud800"')), (2, "reason")
        ),
        _rows(_ndjson("ndjson-duplicate-key", 22, _nd_field('"color": "red"')), (2, "row")),
        _rows(_ndjson("ndjson-not-an-object", 23, '["{n}", "green"]'), (2, "row")),
        _rows(
            _ndjson("ndjson-huge-string", 24, _nd_field('"reason": "' + "x" * 200_000 + '"')),
            (2, "row"),
        ),
        _rows(
            _ndjson("ndjson-truncated-line", 25, '{"id_number": "{n}", "color": "gr'), (2, "row")
        ),
        _refused("empty-file", b"", "the file is empty"),
        _refused("gzip-by-mistake", gzip.compress(f"{CODES}\n".encode()), "gzip-compressed"),
        _refused("xlsx-by-mistake", _xlsx(), "ZIP archive"),
        _refused("utf16-export", f"{CODES}\n".encode("utf-16"), "UTF-16"),
        _refused("csv-duplicate-column", b"id_number,color,color,updated_at\n", "appears twice"),
        _refused("csv-missing-column", b"id_number,updated_at\n", "missing column 'color'"),
        _refused("json-array", b'[{"id_number": "x"}]\n', "a JSON array"),
    ]
