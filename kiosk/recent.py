"""The last taps, newest first, for staff at the kiosk: time, verdict, reasons, masked name.

Staff look here to answer "what did it say to the lady just now?". An entry never holds a
subject or an ID number, and the list stays on the kiosk: it is part of the status page's
``/api/status``, not of the heartbeat the verifier receives.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

from kiosk.decision import Decision
from kiosk.status import scrubbed
from kiosk.verdict import Verdict

RECENT_TAPS = 20


@dataclasses.dataclass(frozen=True, slots=True)
class RecentTap:
    at: str
    """UTC, ISO 8601 to the second."""
    verdict: Verdict
    reasons: tuple[str, ...]
    name: str | None
    """Masked (``readers.masking.mask_name``), or None for a card without a readable name."""


class RecentTaps:
    """The last ``size`` taps in memory; older ones fall off."""

    def __init__(
        self,
        size: int = RECENT_TAPS,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self._taps: collections.deque[RecentTap] = collections.deque(maxlen=size)
        self._now = now

    def add(self, decision: Decision, masked_name: str | None) -> None:
        at = self._now().isoformat(timespec="seconds")
        self._taps.appendleft(RecentTap(at, decision.verdict, decision.reasons, masked_name))

    def document(self) -> list[dict[str, Any]]:
        """Newest first; every text ``scrubbed`` of anything shaped like an ID number."""
        return [
            {
                "at": tap.at,
                "verdict": tap.verdict,
                "reasons": [scrubbed(reason) for reason in tap.reasons],
                "name": None if tap.name is None else scrubbed(tap.name),
            }
            for tap in self._taps
        ]
