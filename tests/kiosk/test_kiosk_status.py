"""kiosk/status.py: today's counts (60+ too) reset at midnight; clock drift from server time;
the reader's fault code; and a document that carries no ID number and fits the verifier's
typed heartbeat."""

from __future__ import annotations

import datetime as dt
from typing import get_args

import pytest

from kiosk.status import READER_CODES, TEXT_CHARS, StatusBoard, drift_s, reader_code
from verifier.fleet.heartbeat import Heartbeat, ReaderCode

ID_NUMBER = "11010519491231002X"


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
    board.reader_error("reader gone", "READER_UNPLUGGED")
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
    assert doc["reader"] == {"state": "error", "detail": "reader gone", "code": "READER_UNPLUGGED"}
    assert doc["last_error"] == "reader: reader gone"


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        ("gone", "READER_UNPLUGGED"),
        ("service_gone", "READER_SERVICE_DOWN"),
        ("timeout", "READER_JAMMED"),
        ("card_pulled", "READER_CARD_PULLED"),
        ("sam_status", "READER_ERROR"),
        ("reader_error", "READER_ERROR"),
        ("something new", "READER_ERROR"),
    ],
)
def test_every_reader_fault_code_has_a_heartbeat_code_the_verifier_knows(
    fault: str, code: str
) -> None:
    assert reader_code(fault) == code
    board = StatusBoard("lane-1", "hospital-a")
    board.reader_error("it failed", reader_code(fault))
    assert Heartbeat.model_validate(board.document()).reader.code == code  # type: ignore[union-attr]
    assert set(READER_CODES.values()) <= set(get_args(ReaderCode))


def test_no_id_number_leaves_the_kiosk_in_any_text() -> None:
    board = StatusBoard("lane-1", "hospital-a")
    board.reader_error(f"card {ID_NUMBER} unreadable", "READER_ERROR")
    board.error(f"verifier: refused subject for 1101 0519 4912 3100 2x and {'y' * 900}")
    doc = board.document(
        verifier={"url": "http://v", "state": "error", "latency_ms": None, "last_error": ID_NUMBER},
        risklist={"version": 1, "entries": 2, "age_s": 3.0, "last_error": "USA123456789012"},
    )
    text = repr(doc)
    assert ID_NUMBER not in text and "3100" not in text and "USA123456789012" not in text
    assert doc["reader"]["detail"] == "card [redacted] unreadable"
    assert len(doc["last_error"]) == TEXT_CHARS
    Heartbeat.model_validate(doc)  # fits the verifier's bounds as sent


def test_drift() -> None:
    ahead = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=30)).isoformat()
    assert 29 < (drift_s(ahead) or 0) < 32
    assert drift_s(None) is None
    assert drift_s("yesterday") is None
