"""``yzt kiosk sync`` killed with SIGKILL at random moments of downloading and applying a
100 000-subject list: the kiosk's list is always whole (old or new), and a later sync finishes."""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from offline_helpers import LiveVerifier, kiosk_config, subject

from kiosk.offline.risklist import CODE_RED, RiskListStore

pytest_plugins = ("offline_fixtures",)
SYNC = """
import sys
from kiosk.offline.cli import offline_app
offline_app(["sync", "--config", sys.argv[1]])
"""


def sync_process(config: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", SYNC, str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_killed_sync_never_leaves_a_mixed_list(live_verifier: LiveVerifier, tmp_path: Path) -> None:
    live_verifier.red_range(0, 1000)
    live_verifier.publish()
    config = kiosk_config(live_verifier, tmp_path / "k")
    assert subprocess.run([sys.executable, "-c", SYNC, str(config)], check=False).returncode == 0
    live_verifier.red_range(100_000, 100_000)
    live_verifier.publish()

    db = tmp_path / "k" / "data" / "risklist.sqlite3"
    old = tmp_path / "old.sqlite3"
    shutil.copy(db, old)  # the sync process exited: WAL checkpointed into the file
    started = time.monotonic()
    assert sync_process(config).wait(120) == 0
    full = time.monotonic() - started
    seen = []
    for attempt in range(5):
        for suffix in ("-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        shutil.copy(old, db)  # back to version 1; a partial download may be left to resume
        child = sync_process(config)
        time.sleep(random.Random(attempt).uniform(0.2, full))
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
        seen.append(whole(db))
    print(f"full sync {full:.2f} s; after SIGKILL: {seen}")
    final = sync_process(config)
    _, errors = final.communicate(timeout=120)
    assert final.returncode == 0, errors.decode()
    assert whole(db) == "new"


def whole(db: Path) -> str:
    """ "old" or "new" after checking the file and that nothing is mixed."""
    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        count = raw.execute("SELECT count(*) FROM entries").fetchone()[0]
    store = RiskListStore(db)
    try:
        info = store.info()
        assert info is not None and info.entries == count
        if info.version == 1:
            assert count == 1000 and store.flags(subject(150_000)) == 0
            assert store.flags(subject(5)) == CODE_RED
            return "old"
        assert (info.version, count) == (2, 101_000)
        assert store.flags(subject(150_000)) == CODE_RED == store.flags(subject(5))
        return "new"
    finally:
        store.close()
