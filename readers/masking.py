"""Masked names for screens bystanders can see: enough for the holder to know it is theirs.

Rules (DESIGN.md §4):

- Chinese names keep the first and the last character: 张明 → 张*, 张三明 → 张*明,
  欧阳小明 → 欧**明; a one-character name becomes ``*``. The separator ``·`` of transcribed
  names stays (买买提·艾力 → 买**·*力).
- Latin names keep the first letter of each word and the separators (space, comma, hyphen,
  apostrophe, dot): ZHANG SAN → Z**** S**, "SMITH, JOHN" → "S****, J***".
"""

from __future__ import annotations

import re

_SEPARATORS = " ,-'.·"
_LATIN_WORD = re.compile(r"[^\s,\-'.·]+")


def mask_name(name: str) -> str:
    """The masked form of ``name`` under the module's rules."""
    name = name.strip()
    if not name:
        return ""
    if all(ord(ch) < 0x2E80 for ch in name):
        return _LATIN_WORD.sub(lambda m: m.group()[0] + "*" * (len(m.group()) - 1), name)
    return _mask_han(name)


def _mask_han(name: str) -> str:
    if len(name) == 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    middle = "".join(ch if ch in _SEPARATORS else "*" for ch in name[1:-1])
    return name[0] + middle + name[-1]
