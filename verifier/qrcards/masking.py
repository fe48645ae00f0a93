"""The masked name printed on a card (张三明 → 张*明), by the rules of readers/masking.py, which
``verifier`` may not import; a test holds the two equal."""

from __future__ import annotations

import re

_SEPARATORS = " ,-'.·"
_LATIN_WORD = re.compile(r"[^\s,\-'.·]+")


def mask_name(name: str) -> str:
    """Chinese names keep the first and last character, Latin names each word's first letter."""
    name = name.strip()
    if not name:
        return ""
    if all(ord(ch) < 0x2E80 for ch in name):
        return _LATIN_WORD.sub(lambda m: m.group()[0] + "*" * (len(m.group()) - 1), name)
    if len(name) <= 2:
        return name[0] + "*" if len(name) == 2 else "*"
    middle = "".join(ch if ch in _SEPARATORS else "*" for ch in name[1:-1])
    return name[0] + middle + name[-1]
