"""Clock drift against the verifier's ``server_time`` or ``Date``; shown, never decisive."""

from __future__ import annotations

import datetime as dt

from kiosk.offline.clock import ClockDrift, parse_server_time

SERVER = dt.datetime(2026, 11, 28, 8, 0, tzinfo=dt.UTC).timestamp()


def test_kiosk_ahead_by_three_days_is_flagged() -> None:
    drift = ClockDrift(60, wall=lambda: SERVER + 3 * 86400)
    assert drift.observe(server_time="2026-11-28T08:00:00Z") == 3 * 86400
    assert drift.status() == {"drift_s": 3 * 86400, "alarm": True}


def test_date_header_and_half_the_round_trip_are_used() -> None:
    drift = ClockDrift(60, wall=lambda: SERVER + 10.5)
    assert drift.observe(date="Sat, 28 Nov 2026 08:00:00 GMT", rtt_s=1.0) == 10.0
    assert drift.status()["alarm"] is False


def test_behind_is_negative_and_garbage_keeps_the_last_value() -> None:
    drift = ClockDrift(60, wall=lambda: SERVER - 120)
    assert drift.observe(server_time="2026-11-28T08:00:00+00:00") == -120
    assert drift.observe(server_time="yesterday", date="not a date") == -120
    assert parse_server_time(None, None) is None
