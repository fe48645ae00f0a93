"""GB 11643 identity numbers, checked here because ``verifier`` may not import ``readers``.

18 characters (resident, Hong Kong/Macao/Taiwan residence permit, 2023 foreigner permanent
residence): 17 digits and an ISO 7064 MOD 11-2 check character. 15 characters (2017 foreigner
permanent residence): 3 letters and 12 digits, checked for shape only.
"""

from __future__ import annotations

import random
import re

_CHECK = "10X98765432"
_FOREIGN_2017 = re.compile(r"[A-Z]{3}[0-9]{12}")
REDACTED = "[redacted]"
ID_SHAPED = re.compile(
    r"\d(?:[\s.-]?\d){14,}(?:[\s.-]?[XxＸｘ])?"  # 15+ digits: 18-character numbers, long runs
    r"|[A-Za-z]{3}\d(?:[\s.-]?\d){11}(?![\s.-]?\d)"  # 2017 foreigner permanent residence number
    r"|(?<![A-Za-z0-9])[HM]\d{8}(?:\d{2})?(?!\d)"  # Hong Kong / Macao permit numbers
)
"""Text shaped like an ID number (DESIGN.md §4), with a space, dot or hyphen allowed between
digits; ``\\d`` also matches full-width digits. The one pattern behind every privacy guard on
free text: heartbeats redact it, logs redact it, feeds refuse it. Taiwan permit numbers (8 bare
digits) are not told apart from other numbers and pass."""


def redact_id_numbers(text: str) -> str:
    """``text`` with every ID-number-shaped run replaced by ``[redacted]``."""
    return ID_SHAPED.sub(REDACTED, text)


def check_digit(first17: str) -> str:
    """The MOD 11-2 check character of 17 ASCII digits. The weights are 2^(17-i) mod 11, and
    13 ≡ 2 (mod 11), so the weighted sum is 2 × the digits read in base 13: one C call instead of
    17 multiplications (feeds call this a million times)."""
    return _CHECK[2 * int(first17, 13) % 11]


def id_number_problem(value: str) -> str | None:
    """Why ``value`` is not an identity number, or None. Never repeats the value."""
    if len(value) == 18:
        head, last = value[:17], value[17]
        if not head.isdigit() or not head.isascii():
            return "expected 17 digits and a check character"
        if last != check_digit(head):
            return "check digit does not match (GB 11643)"
        return None
    if len(value) == 15:
        return None if _FOREIGN_2017.fullmatch(value) else "expected 3 letters and 12 digits"
    return f"expected 18 or 15 characters, got {len(value)}"


def normalize_id_number(value: str) -> str:
    """Trimmed and upper-cased (``x`` → ``X``): the form that is hashed."""
    return value.strip().upper()


REGIONS = ("110105", "310104", "440106", "330106", "510107", "420106", "320102", "610113")


def synthetic_id_number(rng: random.Random) -> str:
    """A valid resident number for demos and benchmarks (random region, birth date, sequence).
    Drawn with ``random()`` rather than ``randint``/``choice`` (a tenth of the cost: the seed
    makes 10^7 of these)."""
    draw = rng.random
    region = REGIONS[int(draw() * len(REGIONS))]
    born = f"{1930 + int(draw() * 91)}{1 + int(draw() * 12):02d}{1 + int(draw() * 28):02d}"
    head = f"{region}{born}{int(draw() * 1000):03d}"
    return head + check_digit(head)
