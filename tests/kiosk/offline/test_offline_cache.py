"""The result cache: a real cachetools cache whose entries survive a restart of the process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from cachetools import Cache

from kiosk.offline.cache import ResultCache

SUBJECT = "ab" * 32


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_is_a_cachetools_cache_bounded_in_size(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path / "r.sqlite3", maxsize=2, ttl_s=60)
    assert isinstance(cache, Cache)
    for n in range(3):
        cache.remember(f"{n:064x}", "PASS", ["CODE_GREEN"])
    assert len(cache) == 2 and f"{0:064x}" not in cache
    cache.close()
    reopened = ResultCache(tmp_path / "r.sqlite3", maxsize=2, ttl_s=60)
    assert sorted(reopened) == [f"{1:064x}", f"{2:064x}"]  # the evicted one is gone on disk too


def test_entries_expire_after_the_ttl_on_the_boot_clock(tmp_path: Path) -> None:
    clock = Clock()
    cache = ResultCache(tmp_path / "r.sqlite3", maxsize=10, ttl_s=60, clock=clock)
    cache.remember(SUBJECT, "DENY", ["CODE_RED"])
    clock.now += 59
    assert cache[SUBJECT].verdict == "DENY" and cache.age_s(cache[SUBJECT]) == 59
    clock.now += 2
    assert cache.get(SUBJECT) is None
    cache.close()
    assert SUBJECT not in ResultCache(tmp_path / "r.sqlite3", maxsize=10, ttl_s=60, clock=clock)


CHILD = """
import sys
from pathlib import Path
from kiosk.offline.cache import ResultCache
cache = ResultCache(Path(sys.argv[1]), maxsize=10, ttl_s=3600)
cache.remember(sys.argv[2], "DENY", ["CODE_RED", "TRAVEL_RISK_AREA"])
"""


def test_an_entry_written_by_another_process_survives_its_exit(tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite3"
    subprocess.run([sys.executable, "-c", CHILD, str(db), SUBJECT], check=True)
    cache = ResultCache(db, maxsize=10, ttl_s=3600)
    entry = cache[SUBJECT]
    assert (entry.verdict, entry.reasons) == ("DENY", ("CODE_RED", "TRAVEL_RISK_AREA"))
    assert 0 <= cache.age_s(entry) < 60


def test_entries_from_an_earlier_boot_are_dropped(tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite3"
    before = ResultCache(db, maxsize=10, ttl_s=3600, clock=Clock(5000), boot=lambda: "boot-a")
    before.remember(SUBJECT, "PASS", ["CODE_GREEN"])
    before.close()
    after = ResultCache(db, maxsize=10, ttl_s=3600, clock=Clock(10), boot=lambda: "boot-b")
    assert SUBJECT not in after and len(after) == 0
