"""How old the last good risk-list sync is, on a clock nobody can set.

The age is measured on ``CLOCK_BOOTTIME`` (monotonic, and it keeps counting through suspend),
never on the wall clock, so moving the date days forward or back changes nothing. A sync is
persisted as ``(boot_id, boottime)`` — written atomically — so a restarted daemon continues the
same count. After a reboot the boot clock starts again from zero and the time the box was off is
unknowable without trusting the wall clock, so the rule is: **a sync from another boot has an
unknown age and counts as stale** until the next good sync.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def boottime() -> float:
    """Seconds since boot, including suspend."""
    return time.clock_gettime(time.CLOCK_BOOTTIME)


def boot_id() -> str:
    """The kernel's id of this boot (changes on every reboot)."""
    return BOOT_ID.read_text(encoding="ascii").strip()


class Freshness:
    """The last good sync, as seen from this boot."""

    def __init__(
        self,
        path: Path,
        *,
        clock: Callable[[], float] = boottime,
        boot: Callable[[], str] = boot_id,
    ) -> None:
        self.path = path
        self.clock = clock
        self.boot = boot()
        self._synced_at = self._load()

    def _load(self) -> float | None:
        try:
            saved = json.loads(self.path.read_text(encoding="utf-8"))
            at = float(saved["boottime"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if saved.get("boot_id") != self.boot or at > self.clock():
            return None
        return at

    def mark_synced(self) -> None:
        """Record a good sync now (temporary file, fsync, rename, fsync the folder)."""
        now = self.clock()
        tmp = self.path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as handle:
            json.dump({"boot_id": self.boot, "boottime": now}, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)
        folder = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
        self._synced_at = now

    def age_s(self) -> float | None:
        """Seconds since the last good sync in this boot; None when unknown."""
        if self._synced_at is None:
            return None
        return max(0.0, self.clock() - self._synced_at)

    def is_fresh(self, window_s: float) -> bool:
        age = self.age_s()
        return age is not None and age <= window_s
