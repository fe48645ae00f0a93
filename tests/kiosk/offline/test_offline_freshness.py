"""Freshness is the data's age at the last good sync (verifier clock) plus CLOCK_BOOTTIME since:
the wall clock moved days forward or back changes nothing; a restart continues the count; a reboot
makes the age unknown (stale)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk.offline.freshness import Freshness, boot_id, boottime

DAY = 86400.0


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize("offset_days", [-3, 3, 400])
def test_wall_clock_moved_days_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, offset_days: int
) -> None:
    """The real boot clock; time.time and datetime shifted by days around the calls."""
    fresh = Freshness(tmp_path / "f.json")
    fresh.mark_synced(0.0)
    real_time = time.time
    shift = offset_days * DAY
    monkeypatch.setattr(time, "time", lambda: real_time() + shift)

    class ShiftedDateTime(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> ShiftedDateTime:  # type: ignore[override]
            return super().now(tz) + dt.timedelta(days=offset_days)

    monkeypatch.setattr(dt, "datetime", ShiftedDateTime)
    age = fresh.age_s()
    assert age is not None and 0 <= age < 5
    assert fresh.is_fresh(DAY)
    again = Freshness(tmp_path / "f.json")  # a restart under the shifted wall clock
    age = again.age_s()
    assert age is not None and 0 <= age < 5


def test_age_follows_the_boot_clock_and_the_window(tmp_path: Path) -> None:
    clock = Clock(100.0)
    fresh = Freshness(tmp_path / "f.json", clock=clock, boot=lambda: "b1")
    assert fresh.age_s() is None and not fresh.is_fresh(DAY)
    fresh.mark_synced(0.0)
    clock.now += DAY - 1
    assert fresh.is_fresh(DAY)
    clock.now += 2
    assert not fresh.is_fresh(DAY) and fresh.age_s() == pytest.approx(DAY + 1)


def test_the_data_age_at_sync_counts_against_the_window(tmp_path: Path) -> None:
    """A sync of a list published 23 h ago is fresh for one more hour, not for another day."""
    clock = Clock(100.0)
    fresh = Freshness(tmp_path / "f.json", clock=clock, boot=lambda: "b1")
    fresh.mark_synced(23 * 3600.0)
    assert fresh.is_fresh(DAY) and fresh.age_s() == pytest.approx(23 * 3600.0)
    clock.now += 3601
    assert not fresh.is_fresh(DAY)
    assert fresh.age_s() == pytest.approx(DAY + 1) and fresh.sync_age_s() == pytest.approx(3601)


def test_the_age_counts_from_when_the_verifier_answered(tmp_path: Path) -> None:
    """A long download does not make the data younger: ``at`` is the answer's boot-clock time."""
    clock = Clock(1000.0)
    fresh = Freshness(tmp_path / "f.json", clock=clock, boot=lambda: "b1")
    fresh.mark_synced(60.0, at=880.0)
    assert fresh.age_s() == pytest.approx(180.0)


def test_a_publisher_clock_ahead_of_the_verifier_counts_as_new(tmp_path: Path) -> None:
    fresh = Freshness(tmp_path / "f.json", clock=Clock(5.0), boot=lambda: "b1")
    fresh.mark_synced(-30.0)
    assert fresh.age_s() == 0.0


def test_a_restart_in_the_same_boot_continues_the_count(tmp_path: Path) -> None:
    clock = Clock(100.0)
    Freshness(tmp_path / "f.json", clock=clock, boot=lambda: "b1").mark_synced(600.0)
    clock.now = 3700.0
    restarted = Freshness(tmp_path / "f.json", clock=clock, boot=lambda: "b1")
    assert restarted.sync_age_s() == pytest.approx(3600.0)
    assert restarted.age_s() == pytest.approx(4200.0)  # the list was 10 min old at the sync


def test_after_a_reboot_the_age_is_unknown_and_stale(tmp_path: Path) -> None:
    Freshness(tmp_path / "f.json", clock=Clock(90000.0), boot=lambda: "b1").mark_synced(0.0)
    rebooted = Freshness(tmp_path / "f.json", clock=Clock(30.0), boot=lambda: "b2")
    assert rebooted.age_s() is None and not rebooted.is_fresh(DAY)


@pytest.mark.parametrize(
    "saved",
    [
        "{not json",
        '{"boot_id": "b1", "boottime": 10.0}',  # an older kiosk's file: the data age is unknown
        '{"boot_id": "b1", "boottime": 10.0, "data_age_s": "NaN"}',
        '{"boot_id": "b1", "boottime": 10.0, "data_age_s": -5}',
    ],
)
def test_a_damaged_file_means_unknown(tmp_path: Path, saved: str) -> None:
    (tmp_path / "f.json").write_text(saved)
    fresh = Freshness(tmp_path / "f.json", clock=Clock(100.0), boot=lambda: "b1")
    assert fresh.age_s() is None and not fresh.is_fresh(DAY)


CHILD = """
import sys
from pathlib import Path
from kiosk.offline.freshness import Freshness
Freshness(Path(sys.argv[1])).mark_synced(120.0)
"""


def test_real_process_restart_keeps_the_age(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-c", CHILD, str(tmp_path / "f.json")], check=True)
    age = Freshness(tmp_path / "f.json").age_s()
    assert age is not None and 120 <= age < 150
    assert boottime() > 0 and len(boot_id()) == 36
