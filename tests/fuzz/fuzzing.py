"""Shared pieces of the parser fuzz tests: the corpus on disk and hostile-input strategies.

Each parser has a folder ``tests/fuzz/corpus/<parser>/`` of interesting inputs, one per file: real
valid inputs that seed the mutations, and every input that once crashed a parser (named
``crash-…``), so each test replays them on every run. To keep an input that ``make fuzz`` found,
save the falsifying bytes (or JSON text) there under a name that says what it tests.

The property each test checks is the same: a parser given anything raises only the project's own
error for bad input (``CardDataError``, ``FrameError``, pydantic ``ValidationError``, a feed's
``RowError``/``FeedUnusable``), never anything else, and its message can be printed and logged.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import strategies as st

from readers.errors import CardDataError

CORPUS = Path(__file__).resolve().parent / "corpus"
DEEP = 100_000
"""Nesting depth of the deepest JSON made here: far past any recursion limit."""
LONG_DIGITS = re.compile(r"[0-9]{15}")
ID_NUMBERS = ("11010519491231002X", "440106195003070134")
"""Valid synthetic resident numbers: no message, store or answer may repeat them."""


@functools.cache
def corpus(parser: str) -> list[Any]:
    """``pytest.param(bytes, id="<parser>/<file>")`` for every file of ``corpus/<parser>/``."""
    files = sorted(path for path in (CORPUS / parser).rglob("*") if path.is_file())
    assert files, f"corpus/{parser}/ is empty"
    return [
        pytest.param(path.read_bytes(), id=path.relative_to(CORPUS).as_posix()) for path in files
    ]


@functools.cache
def corpus_json(parser: str) -> list[Any]:
    """The corpus files of ``parser`` that are JSON documents, parsed (the mutation seeds)."""
    seeds = []
    for param in corpus(parser):
        try:
            seeds.append(json.loads(param.values[0]))
        except (ValueError, RecursionError):
            continue
    return seeds


def printable(message: str) -> None:
    """An error message must reach a terminal or a log: UTF-8, one short line."""
    message.encode("utf-8")
    assert "\n" not in message and len(message) < 1000, message


def leaks_id_number(text: str) -> bool:
    """Whether ``text`` holds one of ``ID_NUMBERS``, even spaced or hyphenated."""
    compact = re.sub(r"[\s.-]", "", text).upper()
    return any(number in compact for number in ID_NUMBERS)


def check_card_error(error: CardDataError, size: int | None = None) -> None:
    """Names a field (and a byte within the ``size`` bytes parsed), prints as one line, and
    repeats no ID number (no run of 15 digits)."""
    message = str(error)
    assert re.fullmatch(r"[a-z_]{1,40}", error.field), error.field
    assert message.startswith(error.field), message
    printable(message)
    assert not LONG_DIGITS.search(message) and not leaks_id_number(message), message
    if size is not None and error.offset is not None:
        assert 0 <= error.offset < size, message


# Characters parsers get wrong: NUL and other controls, lone surrogates, a surrogate pair,
# byte-order marks, bidi overrides, full-width digits, combining marks.
NASTY_CHARS = st.sampled_from(
    [
        *("\x00", "\x1b", "\x7f", "\x85", "\ud800", "\udfff", "\U0001f600", "\ufeff", "\u202e"),
        *("１", "\u0301", "\n", "\r", '"', "\\", ",", " ", "张", "a", "0", "X"),
    ]
)
SHORT_TEXT = st.text(NASTY_CHARS, max_size=40) | st.text(st.characters(), max_size=40)
LONG_TEXT = st.builds(
    lambda part, count: part * count,
    NASTY_CHARS,
    st.sampled_from([255, 256, 4_097, 65_537, 131_073]) | st.integers(100, 140_000),
)
"""Just past the bounds parsers keep: a field, a line (64 KiB), the csv module's 131,072."""
ID_TEXT = st.builds(
    lambda before, number, after: before + number + after,
    SHORT_TEXT,
    st.sampled_from([*ID_NUMBERS, "110105 19491231 002X", "4401-0619-5003-0701-34"]),
    SHORT_TEXT,
)
NASTY_TEXT = st.integers(0, 9).flatmap(
    lambda n: LONG_TEXT if n == 0 else ID_TEXT if n == 1 else SHORT_TEXT
)
"""Mostly short text of odd characters; one in ten is long, one in ten holds an ID number."""
NASTY_NUMBERS = st.one_of(
    st.integers(-(2**70), 2**70),
    st.sampled_from([10**30, -1, 0, 2**63]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e999, -1e999, 0.5, 1e-300]),
    st.booleans(),
)
JSON_LEAVES = st.one_of(st.none(), NASTY_NUMBERS, NASTY_TEXT)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(NASTY_TEXT, inner, max_size=4),
    max_leaves=8,
)


def dumps(value: Any) -> str:
    """JSON text as a careless writer may produce it: ``NaN``, lone surrogates escaped."""
    return json.dumps(value, ensure_ascii=True, allow_nan=True)


def deeply_nested(depth: int = DEEP) -> str:
    """``[[[…]]]`` ``depth`` levels deep, as text (``json.dumps`` itself would recurse)."""
    return "[" * depth + "]" * depth


@st.composite
def mutated_json(draw: st.DrawFn, parser: str) -> str:
    """A JSON document of ``corpus/<parser>/`` with one value replaced, removed or added anywhere
    in it, as JSON text; now and then the new value is nested far too deep or is a number too
    long to convert."""
    doc = copy.deepcopy(draw(st.sampled_from(corpus_json(parser))))
    marker = "\x00FUZZ-MARKER\x00"
    parent, key = _pick_place(draw, doc)
    action = draw(st.sampled_from(["replace", "remove", "add", "deep", "long-number"]))
    if parent is None:
        return dumps(draw(JSON_VALUES))
    if action == "remove":
        del parent[key]
        return dumps(doc)
    if action == "add":
        key = draw(NASTY_TEXT) if isinstance(parent, dict) else len(parent)
        if isinstance(parent, list):
            parent.append(None)
    value: Any = marker if action in ("deep", "long-number") else draw(JSON_VALUES)
    parent[key] = value
    text = dumps(doc)
    fragment = deeply_nested() if action == "deep" else "9" * 5000
    return text.replace(dumps(marker), fragment)


def _pick_place(draw: st.DrawFn, doc: Any) -> tuple[Any, Any]:
    """A container in ``doc`` and a key or index in it (``None, None`` for the root itself)."""
    places: list[tuple[Any, Any]] = [(None, None)]
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            items = list(node.items())
        elif isinstance(node, list):
            items = list(enumerate(node))
        else:
            continue
        for key, value in items:
            places.append((node, key))
            stack.append(value)
    return draw(st.sampled_from(places))


@st.composite
def mutated_bytes(draw: st.DrawFn, parser: str, *, keep_size: bool = False) -> bytes:
    """A file of ``corpus/<parser>/`` with a few bytes changed, inserted or cut, or truncated
    (with ``keep_size``, only changed)."""
    data = bytearray(draw(st.sampled_from(corpus(parser))).values[0])
    actions = ["set"] if keep_size else ["set", "insert", "delete", "truncate"]
    for _ in range(draw(st.integers(1, 4))):
        action = draw(st.sampled_from(actions))
        at = draw(st.integers(0, max(len(data) - (action == "set"), 0)))
        if action == "set" and data:
            data[at] = draw(st.integers(0, 255))
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif action == "delete":
            del data[at : at + draw(st.integers(1, 8))]
        else:
            del data[at:]
    return bytes(data)
