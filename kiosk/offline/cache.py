"""Online results per subject, reused for a while when the verifier is out of reach.

``ResultCache`` is a ``cachetools.TLRUCache`` (size bound, least recently used goes first, each
entry carrying its own expiry) whose writes go through to SQLite, so a restarted daemon finds its
entries again. Expiry is on ``CLOCK_BOOTTIME``, like freshness (see freshness.py): entries
written in an earlier boot have an unknown age and are dropped when the cache opens.
Keys are subjects (HMAC hex), never ID numbers.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cachetools import TLRUCache

from kiosk.offline.freshness import boot_id, boottime

SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    subject TEXT PRIMARY KEY,
    verdict TEXT NOT NULL,
    reasons TEXT NOT NULL,
    stored_at REAL NOT NULL,
    expires REAL NOT NULL,
    boot_id TEXT NOT NULL
)
"""


@dataclass(frozen=True, slots=True)
class CachedResult:
    verdict: str
    reasons: tuple[str, ...]
    stored_at: float
    expires: float


def _expiry(_key: str, value: CachedResult, _now: float) -> float:
    return value.expires


class ResultCache(TLRUCache[str, CachedResult]):
    """Subject → the verifier's last answer, until ``ttl_s`` has passed on the boot clock."""

    def __init__(
        self,
        path: Path,
        *,
        maxsize: int,
        ttl_s: float,
        clock: Callable[[], float] = boottime,
        boot: Callable[[], str] = boot_id,
    ) -> None:
        super().__init__(maxsize, ttu=_expiry, timer=clock)
        self.ttl_s = ttl_s
        self.boot = boot()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(SCHEMA)
        self._load()

    def _load(self) -> None:
        now = self.timer()
        self._db.execute("DELETE FROM results WHERE boot_id != ? OR expires <= ?", (self.boot, now))
        rows = self._db.execute(
            "SELECT subject, verdict, reasons, stored_at, expires FROM results ORDER BY stored_at"
        )
        for subject, verdict, reasons, stored_at, expires in rows.fetchall():
            entry = CachedResult(verdict, tuple(json.loads(reasons)), stored_at, expires)
            TLRUCache.__setitem__(self, subject, entry)

    def remember(self, subject: str, verdict: str, reasons: Iterable[str]) -> CachedResult:
        """Keep an online answer for ``ttl_s``."""
        now = self.timer()
        entry = CachedResult(verdict, tuple(reasons), now, now + self.ttl_s)
        self[subject] = entry
        return entry

    def age_s(self, entry: CachedResult) -> float:
        return max(0.0, self.timer() - entry.stored_at)

    def __setitem__(self, key: str, value: CachedResult) -> None:
        super().__setitem__(key, value)
        self._db.execute(
            "INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?, ?)",
            (
                key,
                value.verdict,
                json.dumps(value.reasons),
                value.stored_at,
                value.expires,
                self.boot,
            ),
        )

    def __delitem__(self, key: str) -> None:
        try:
            super().__delitem__(key)
        finally:
            self._db.execute("DELETE FROM results WHERE subject = ?", (key,))

    def expire(self, time: Any = None) -> list[tuple[str, CachedResult]]:
        expired: list[tuple[str, CachedResult]] = super().expire(time)
        if expired:
            self._db.executemany(
                "DELETE FROM results WHERE subject = ?", [(k,) for k, _ in expired]
            )
        return expired

    def close(self) -> None:
        self._db.close()
