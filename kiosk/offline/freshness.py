"""How old the risk-list data is, without ever reading the kiosk's wall clock.

A good sync proves the kiosk holds the newest list, not that the list is new: with every publisher
stopped a verifier keeps serving the last one. So the age of the data is the list's age when it
was synced — ``server_now - published_at``, both on the verifier's clock (the signed header and
the answer's ``X-Server-Time``) — plus the time since that sync on ``CLOCK_BOOTTIME`` (monotonic,
and it keeps counting through suspend). Moving the kiosk's date days forward or back changes
nothing.

A sync is persisted as ``(boot_id, boottime, data_age_s)`` — written atomically — so a restarted
daemon continues the same count. After a reboot the boot clock starts again from zero and the time
the box was off is unknowable without trusting the wall clock, so the rule is: **a sync from
another boot has an unknown age and counts as stale** until the next good sync.
"""

from __future__ import annotations

import json
import math
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
    """The last good sync, as seen from this boot, and how old its data was then."""

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
        self._synced_at: float | None = None
        self._age_at_sync = 0.0
        self._load()

    def _load(self) -> None:
        try:
            saved = json.loads(self.path.read_text(encoding="utf-8"))
            at = float(saved["boottime"])
            age = float(saved["data_age_s"])
        except (OSError, ValueError, KeyError, TypeError):
            return
        if saved.get("boot_id") != self.boot or at > self.clock():
            return
        if not math.isfinite(age) or age < 0:
            return
        self._synced_at, self._age_at_sync = at, age

    def mark_synced(self, data_age_s: float, *, at: float | None = None) -> None:
        """Record a good sync whose list was ``data_age_s`` old (verifier clock) at boot-clock
        moment ``at`` (default now): temporary file, fsync, rename, fsync the folder."""
        moment = self.clock() if at is None else at
        age = max(0.0, data_age_s)
        tmp = self.path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as handle:
            json.dump({"boot_id": self.boot, "boottime": moment, "data_age_s": age}, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)
        folder = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
        self._synced_at, self._age_at_sync = moment, age

    def sync_age_s(self) -> float | None:
        """Seconds since the last good sync in this boot; None when unknown."""
        if self._synced_at is None:
            return None
        return max(0.0, self.clock() - self._synced_at)

    def age_s(self) -> float | None:
        """How old the list's data is now: its age at the last good sync plus the time since;
        None when unknown (never synced in this boot)."""
        since = self.sync_age_s()
        return None if since is None else self._age_at_sync + since

    def is_fresh(self, window_s: float) -> bool:
        age = self.age_s()
        return age is not None and age <= window_s
