"""kiosk/recent.py: the last 20 taps, newest first, with time, verdict, reasons and the masked
name — nothing else about the holder."""

from __future__ import annotations

import datetime as dt

from kiosk.decision import Decision
from kiosk.recent import RECENT_TAPS, RecentTaps

START = dt.datetime(2026, 11, 28, 8, 0, tzinfo=dt.UTC)


def test_the_last_20_taps_newest_first() -> None:
    clock = [START]
    recent = RecentTaps(now=lambda: clock[0])
    for n in range(RECENT_TAPS + 5):
        clock[0] = START + dt.timedelta(seconds=n)
        recent.add(Decision("PASS", (f"R{n}",), "online"), f"张*{n}")
    taps = recent.document()
    assert len(taps) == RECENT_TAPS == 20
    assert taps[0] == {
        "at": "2026-11-28T08:00:24+00:00",
        "verdict": "PASS",
        "reasons": ["R24"],
        "name": "张*24",
    }
    assert taps[-1]["reasons"] == ["R5"]  # the five oldest fell off


def test_no_name_and_nothing_shaped_like_an_id_number() -> None:
    recent = RecentTaps()
    recent.add(Decision("CHECK", ("CARD_UNREADABLE_IDENTITY",), "none"), None)
    recent.add(Decision("DENY", ("CODE_RED 11010519491231002X",), "cache", 3.0), "李*")
    newest, oldest = recent.document()
    assert oldest["name"] is None
    assert newest["reasons"] == ["CODE_RED [redacted]"]
    assert set(newest) == {"at", "verdict", "reasons", "name"}  # no source, age or subject
