"""kiosk/status.py: today's counts (60+ too) reset at midnight; clock drift from server time."""

from __future__ import annotations

import datetime as dt

from kiosk.status import StatusBoard, drift_s


def test_counts_by_verdict_and_elders_reset_on_a_new_day() -> None:
    day = [dt.date(2026, 11, 28)]
    board = StatusBoard("lane-1", "hospital-a", today=lambda: day[0])
    board.count("PASS", "60+")
    board.count("DENY", "18-59")
    board.count("PASS", None)
    assert board.counts_today() == {"total": 3, "elder": 1, "PASS": 2, "CHECK": 0, "DENY": 1}
    day[0] = dt.date(2026, 11, 29)
    assert board.counts_today()["total"] == 0


def test_document_has_the_heartbeat_keys() -> None:
    board = StatusBoard("lane-1", "hospital-a")
    board.reader_error("reader gone")
    doc = board.document(outbox={"pending": 0, "oldest_age_s": None})
    for key in (
        "kiosk_id",
        "site",
        "version",
        "uptime_s",
        "sent_at",
        "reader",
        "clock_drift_s",
        "counts_today",
        "last_error",
        "outbox",
    ):
        assert key in doc
    assert doc["reader"] == {"state": "error", "detail": "reader gone"}
    assert doc["last_error"] == "reader: reader gone"


def test_drift() -> None:
    ahead = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=30)).isoformat()
    assert 29 < (drift_s(ahead) or 0) < 32
    assert drift_s(None) is None
    assert drift_s("yesterday") is None
