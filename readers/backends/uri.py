"""Reader URI parsing: scheme, location and a typed, closed set of query options."""

from __future__ import annotations

import dataclasses
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

from readers.errors import ReaderURIError


@dataclasses.dataclass(frozen=True, slots=True)
class ReaderURI:
    """``scheme://location?key=value``; ``location`` is host:port, a path or a name."""

    scheme: str
    location: str
    query: dict[str, str]
    text: str

    def options(self, allowed: Mapping[str, Callable[[str], Any]]) -> dict[str, Any]:
        """Convert the query with ``allowed`` converters; unknown keys and bad values raise."""
        unknown = sorted(set(self.query) - set(allowed))
        if unknown:
            raise ReaderURIError(
                f"{self.scheme}:// does not take option {unknown[0]!r} "
                f"(known: {', '.join(sorted(allowed))})"
            )
        converted: dict[str, Any] = {}
        for key, value in self.query.items():
            try:
                converted[key] = allowed[key](value)
            except ValueError as error:
                raise ReaderURIError(f"{self.scheme}:// option {key}={value!r}: {error}") from None
        return converted


def parse_uri(text: str) -> ReaderURI:
    """Split a reader URI; ``sim://demo/cards`` and ``sim:///abs/path`` both keep the path."""
    if "://" not in text:
        raise ReaderURIError(
            f"reader URI {text!r} has no scheme; expected sim://, serial://, tcp:// or pcsc://"
        )
    parts = urllib.parse.urlsplit(text)
    pairs = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    query: dict[str, str] = {}
    for key, value in pairs:
        if key in query:
            raise ReaderURIError(f"reader URI option {key!r} given twice")
        query[key] = value
    location = urllib.parse.unquote(parts.netloc + parts.path)
    return ReaderURI(parts.scheme.lower(), location, query, text)


def bounded_int(low: int, high: int) -> Callable[[str], int]:
    """A converter accepting whole numbers in ``low..high``."""

    def convert(value: str) -> int:
        expected = f"expected a whole number in {low}..{high}"
        try:
            number = int(value)
        except ValueError:
            raise ValueError(expected) from None
        if not low <= number <= high:
            raise ValueError(expected)
        return number

    return convert


def bounded_float(low: float, high: float) -> Callable[[str], float]:
    """A converter accepting numbers in ``low..high`` (seconds)."""

    def convert(value: str) -> float:
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"expected a number of seconds in {low:g}..{high:g}") from None
        if not low <= number <= high:
            raise ValueError(f"expected a number of seconds in {low:g}..{high:g}")
        return number

    return convert


def flag(value: str) -> bool:
    """``1``/``true``/``yes`` or ``0``/``false``/``no``."""
    lowered = value.lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError("expected 1 or 0")
