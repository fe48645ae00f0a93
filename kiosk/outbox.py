"""Every verdict event, committed to SQLite before the screen changes, until the verifier has it.

``synchronous=FULL`` in WAL mode: a commit that returned survives kill -9 and power loss. The
uploader deletes an event only after ``POST /v1/events`` acknowledged its whole batch; the
verifier stores each ``event_id`` once, so a batch resent after a crash duplicates nothing.
A batch the verifier refuses (4xx) is resent one event at a time and only the refused events are
moved to the ``rejected`` table, where staff can see them counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3
import time
from pathlib import Path
from typing import Any

from kiosk.verifier_client import VerifierClient, VerifierRefused, VerifierUnavailable

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    created_at REAL NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rejected (
    event_id TEXT PRIMARY KEY,
    rejected_at REAL NOT NULL,
    reason TEXT NOT NULL,
    body TEXT NOT NULL
);
"""


class Outbox:
    """A durable FIFO of event documents keyed by ``event_id``."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)

    def add(self, event: dict[str, Any]) -> None:
        """Commit one event; when this returns, the event survives a crash."""
        with self._db:
            self._db.execute(
                "INSERT OR IGNORE INTO outbox (event_id, created_at, body) VALUES (?, ?, ?)",
                (event["event_id"], time.time(), json.dumps(event, ensure_ascii=False)),
            )

    def batch(self, limit: int) -> list[dict[str, Any]]:
        rows = self._db.execute("SELECT body FROM outbox ORDER BY seq LIMIT ?", (limit,))
        return [json.loads(body) for (body,) in rows]

    def remove(self, event_ids: list[str]) -> None:
        with self._db:
            self._db.executemany("DELETE FROM outbox WHERE event_id = ?", [(e,) for e in event_ids])

    def reject(self, event: dict[str, Any], reason: str) -> None:
        """Set aside an event the verifier refuses, so it cannot block the ones behind it."""
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO rejected VALUES (?, ?, ?, ?)",
                (event["event_id"], time.time(), reason, json.dumps(event, ensure_ascii=False)),
            )
            self._db.execute("DELETE FROM outbox WHERE event_id = ?", (event["event_id"],))

    def rejected(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM rejected").fetchone()[0])

    def pending(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM outbox").fetchone()[0])

    def oldest_age_s(self) -> float | None:
        (oldest,) = self._db.execute("SELECT min(created_at) FROM outbox").fetchone()
        return None if oldest is None else max(0.0, time.time() - oldest)

    def close(self) -> None:
        self._db.close()


class Uploader:
    """Sends the outbox in batches whenever nudged or every ``interval_s``."""

    def __init__(
        self, outbox: Outbox, client: VerifierClient, *, interval_s: float, batch: int
    ) -> None:
        self.outbox = outbox
        self.client = client
        self.interval_s = interval_s
        self.batch_size = batch
        self._wake = asyncio.Event()

    def nudge(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        while True:
            await self.flush()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval_s)
            self._wake.clear()

    async def flush(self) -> int:
        """Upload until the outbox is empty or the verifier fails; the number uploaded."""
        sent = 0
        while batch := self.outbox.batch(self.batch_size):
            try:
                acknowledged = await self.client.send_events(batch)
            except VerifierRefused:
                sent += await self._one_by_one(batch)
                continue
            except VerifierUnavailable as exc:
                log.info("outbox upload deferred: %s", exc)
                return sent
            if acknowledged != len(batch):
                log.warning(
                    "verifier acknowledged %d of %d events; keeping them", acknowledged, len(batch)
                )
                return sent
            self.outbox.remove([event["event_id"] for event in batch])
            sent += len(batch)
        return sent

    async def _one_by_one(self, batch: list[dict[str, Any]]) -> int:
        sent = 0
        for event in batch:
            try:
                acknowledged = await self.client.send_events([event])
            except VerifierRefused as exc:
                log.warning("verifier refused event %s: %s", event["event_id"], exc)
                self.outbox.reject(event, str(exc))
                continue
            except VerifierUnavailable:
                return sent
            if acknowledged == 1:
                self.outbox.remove([event["event_id"]])
                sent += 1
        return sent
