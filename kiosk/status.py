"""What staff see about one kiosk: reader, verifier link, today's counts, last error.

The same document feeds ``/api/status``, the ``/status`` page, ``yzt kiosk status`` and the
heartbeat to the verifier. Counts never carry a subject or a name.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from kiosk.cardcheck import ELDER_BAND
from yzt import __version__


@dataclasses.dataclass
class ReaderStatus:
    state: str = "unknown"
    detail: str = "waiting for the reader"


class StatusBoard:
    """Mutable status of a running kiosk; ``document()`` renders it."""

    def __init__(self, kiosk_id: str, site: str, today: Callable[[], dt.date] = dt.date.today):
        self.kiosk_id = kiosk_id
        self.site = site
        self.reader = ReaderStatus()
        self.last_error: str | None = None
        self.last_error_at: str | None = None
        self.clock_drift_s: float | None = None
        self._today = today
        self._day = today()
        self._counts: Counter[str] = Counter()
        self._started = time.monotonic()

    def reader_ok(self, detail: str = "reading cards") -> None:
        self.reader = ReaderStatus("ok", detail)

    def reader_error(self, detail: str) -> None:
        self.reader = ReaderStatus("error", detail)
        self.error(f"reader: {detail}")

    def error(self, message: str) -> None:
        self.last_error = message
        self.last_error_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")

    def count(self, verdict: str, age_band: str | None) -> None:
        self._roll_day()
        self._counts["total"] += 1
        self._counts[verdict] += 1
        if age_band == ELDER_BAND:
            self._counts["elder"] += 1

    def counts_today(self) -> dict[str, int]:
        self._roll_day()
        return {key: self._counts[key] for key in ("total", "elder", "PASS", "CHECK", "DENY")}

    def uptime_s(self) -> float:
        return round(time.monotonic() - self._started, 1)

    def document(self, **parts: Any) -> dict[str, Any]:
        """The status document; ``parts`` adds verifier, outbox, risklist, camera sections."""
        return {
            "kiosk_id": self.kiosk_id,
            "site": self.site,
            "version": __version__,
            "uptime_s": self.uptime_s(),
            "sent_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "reader": dataclasses.asdict(self.reader),
            "clock_drift_s": self.clock_drift_s,
            "counts_today": self.counts_today(),
            "last_error": self.last_error,
            "last_error_at": self.last_error_at,
            **parts,
        }

    def _roll_day(self) -> None:
        today = self._today()
        if today != self._day:
            self._day = today
            self._counts.clear()


def drift_s(server_time: str | None) -> float | None:
    """Seconds the kiosk clock is ahead of the verifier's (positive = kiosk ahead)."""
    if not server_time:
        return None
    try:
        server = dt.datetime.fromisoformat(server_time.replace("Z", "+00:00"))
    except ValueError:
        return None
    if server.tzinfo is None:
        server = server.replace(tzinfo=dt.UTC)
    return round((dt.datetime.now(dt.UTC) - server).total_seconds(), 3)
