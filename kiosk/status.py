"""What staff see about one kiosk: reader, verifier link, today's counts, last error.

The same document feeds ``/api/status``, the ``/status`` page, ``yzt kiosk status`` and the
heartbeat to the verifier (whose typed model, verifier/fleet/heartbeat.py, refuses keys it does not
know). Counts never carry a subject or a name, and no text in it carries an ID number: anything
shaped like one is replaced before the document leaves ``document()``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from kiosk.cardcheck import ELDER_BAND
from kiosk.offline.clock import parse_server_time
from kiosk.verdict import VERDICTS
from kiosk.version import kiosk_version

READER_CODES = {
    "gone": "READER_UNPLUGGED",
    "service_gone": "READER_SERVICE_DOWN",
    "timeout": "READER_JAMMED",
    "card_pulled": "READER_CARD_PULLED",
    "sam_status": "READER_ERROR",
    "reader_error": "READER_ERROR",
}
"""``ReaderFault.code`` (what readers/ saw, from the exception type) → the heartbeat's reader
code, on which the fleet console picks its alert; an unknown fault is ``READER_ERROR``."""
TEXT_CHARS = 500
"""The verifier's bound on a free-text field; longer text is cut so the heartbeat still fits."""
_ID_SHAPED = re.compile(
    r"\d(?:[\s.-]?\d){14,}(?:[\s.-]?[XxＸｘ])?"
    r"|[A-Za-z]{3}\d(?:[\s.-]?\d){11}(?![\s.-]?\d)"
    r"|(?<![A-Za-z0-9])[HM]\d{8}(?:\d{2})?(?!\d)"
)
"""ID-number shapes, as verifier/fleet/heartbeat.py redacts them (kiosk/ may not import verifier/):
15 or more digits, 3 letters and 12 digits, Hong Kong/Macao permit numbers."""


def reader_code(fault_code: str) -> str:
    """The heartbeat's code for a ``ReaderFault.code``."""
    return READER_CODES.get(fault_code, "READER_ERROR")


def scrubbed(text: str) -> str:
    """``text`` without ID numbers, within the verifier's length bound."""
    return _ID_SHAPED.sub("[redacted]", text)[:TEXT_CHARS]


@dataclasses.dataclass
class ReaderStatus:
    state: str = "unknown"
    detail: str = "waiting for the reader"
    code: str | None = None
    """Set with ``state == "error"``: one of ``READER_CODES``' values."""


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

    def reader_error(self, detail: str, code: str) -> None:
        self.reader = ReaderStatus("error", detail, code)
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
        return {key: self._counts[key] for key in ("total", "elder", *VERDICTS)}

    def uptime_s(self) -> float:
        return round(time.monotonic() - self._started, 1)

    def document(self, **parts: Any) -> dict[str, Any]:
        """The status document; ``parts`` adds verifier, outbox, risklist, camera sections.
        Every text in it but the kiosk's own id and site is ``scrubbed``."""
        body = {
            "version": kiosk_version(),
            "uptime_s": self.uptime_s(),
            "sent_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "reader": dataclasses.asdict(self.reader),
            "clock_drift_s": self.clock_drift_s,
            "counts_today": self.counts_today(),
            "last_error": self.last_error,
            "last_error_at": self.last_error_at,
            **parts,
        }
        return {"kiosk_id": self.kiosk_id, "site": self.site, **_scrubbed_all(body)}

    def _roll_day(self) -> None:
        today = self._today()
        if today != self._day:
            self._day = today
            self._counts.clear()


def drift_s(server_time: str | None) -> float | None:
    """Seconds the kiosk clock is ahead of the verifier's (positive = kiosk ahead), parsed as
    ``ClockDrift`` parses it."""
    server = parse_server_time(server_time)
    return None if server is None else round(time.time() - server, 3)


def _scrubbed_all(value: Any) -> Any:
    if isinstance(value, str):
        return scrubbed(value)
    if isinstance(value, dict):
        return {key: _scrubbed_all(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrubbed_all(item) for item in value]
    return value
