"""Drift of the kiosk's wall clock against the verifier's (``server_time`` or the ``Date``
header), for staff and heartbeats. Only displayed: no decision depends on the wall clock."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any


def parse_server_time(server_time: str | None = None, date: str | None = None) -> float | None:
    """Unix seconds from an ISO 8601 ``server_time`` or an HTTP ``Date``; None if neither parses."""
    if server_time:
        try:
            moment = dt.datetime.fromisoformat(server_time.replace("Z", "+00:00"))
        except ValueError:
            moment = None
        if moment is not None:
            return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).timestamp()
    if date:
        try:
            return parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError):
            return None
    return None


class ClockDrift:
    """The latest drift seen (positive: the kiosk clock is ahead)."""

    def __init__(self, alarm_s: float, *, wall: Callable[[], float] = time.time) -> None:
        self.alarm_s = alarm_s
        self.wall = wall
        self.drift_s: float | None = None

    def observe(
        self, *, server_time: str | None = None, date: str | None = None, rtt_s: float = 0.0
    ) -> float | None:
        """Compare with an answer that arrived just now after ``rtt_s`` on the wire."""
        server = parse_server_time(server_time, date)
        if server is None:
            return self.drift_s
        self.drift_s = round(self.wall() - rtt_s / 2 - server, 3)
        return self.drift_s

    def status(self) -> dict[str, Any]:
        alarm = self.drift_s is not None and abs(self.drift_s) > self.alarm_s
        return {"drift_s": self.drift_s, "alarm": alarm}
