"""The kiosk's verdict vocabulary, written once: the three verdicts from laxest to strictest and
where a verdict came from.

Every table and check that names a verdict (offline policy, ``[face]`` policy, screen, status
counts) takes ``Verdict`` from here, and every comparison goes through ``strictest``.
"""

from __future__ import annotations

from typing import Literal, get_args

Verdict = Literal["PASS", "CHECK", "DENY"]
Source = Literal["online", "cache", "risklist", "none"]
"""``online``: the verifier answered; ``cache``: its earlier answer for this subject; ``risklist``:
the signed risk list; ``none``: no data (the kiosk decided CHECK or from the card alone)."""

VERDICTS: tuple[Verdict, ...] = get_args(Verdict)
"""Laxest first: a later verdict is stricter."""


def strictest(*verdicts: Verdict) -> Verdict:
    """The strictest of ``verdicts`` (a stricter check never loses to a laxer one)."""
    return max(verdicts, key=VERDICTS.index)


def as_verdict(text: str) -> Verdict:
    """``text`` as a verdict; ``ValueError`` naming the three when it is none of them."""
    for verdict in VERDICTS:
        if text == verdict:
            return verdict
    raise ValueError(f"verdict: {text!r} is not one of {', '.join(VERDICTS)}")
