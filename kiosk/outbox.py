"""Every verdict event, committed to SQLite before the screen changes, until the verifier has it.

``synchronous=FULL`` in WAL mode: a commit that returned survives kill -9 and power loss. The
uploader deletes an event only after ``POST /v1/events`` acknowledged its whole batch; the
verifier stores each ``event_id`` once, so a batch resent after a crash duplicates nothing.
A batch the verifier refuses is resent one event at a time and only the events it refuses for
what they say (400, 409, 413, 422: a time outside the verifier's clock window, say, from a
kiosk clock that was wrong or an outage longer than retention) are moved to the ``rejected``
table with the verifier's reason, where staff see them counted (``outbox.rejected``); the good
events of the batch still land. A refusal of the kiosk itself (401: an unknown or revoked token;
403: a token issued for another kiosk or site; 404 and the like: a wrong URL) sets nothing aside:
everything waits for the fix.

The file is capped (``max_page_count``): past ``ALARM_FRACTION`` of the cap the status raises an
alarm, and at the cap a new event is refused with ``OutboxFull`` — loudly, never by dropping an
older one. Marking sent only deletes, so a full outbox still drains.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import shutil
import sqlite3
import time
from pathlib import Path
from typing import Any

from kiosk.verifier_client import VerifierClient, VerifierRefused, VerifierUnavailable

log = logging.getLogger(__name__)

ALARM_FRACTION = 0.8
EVENT_REFUSALS = frozenset({400, 409, 413, 422})
"""Statuses that judge the event sent, not the kiosk sending it: resending it will not help."""

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


class OutboxFull(sqlite3.OperationalError):
    """The event was not recorded: the outbox reached its cap or the disk is full."""


class Outbox:
    """A durable FIFO of event documents keyed by ``event_id``, at most ``max_bytes`` on disk."""

    def __init__(self, path: Path, max_bytes: int | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path = path
        # each ``with self._db`` block is one transaction: one commit (one fsync) per batch
        self._db = sqlite3.connect(path, isolation_level="IMMEDIATE")
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        self._page_size = int(self._db.execute("PRAGMA page_size").fetchone()[0])
        self.max_bytes = max_bytes
        self.refused = 0  # events not recorded because the outbox or disk was full, since start
        if max_bytes is not None:
            self._db.execute(f"PRAGMA max_page_count = {max(1, max_bytes // self._page_size)}")

    def add(self, event: dict[str, Any]) -> None:
        """Commit one event; when this returns, the event survives a crash."""
        try:
            with self._db:
                self._db.execute(
                    "INSERT OR IGNORE INTO outbox (event_id, created_at, body) VALUES (?, ?, ?)",
                    (event["event_id"], time.time(), json.dumps(event, ensure_ascii=False)),
                )
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode != sqlite3.SQLITE_FULL:
                raise
            self.refused += 1
            raise OutboxFull(self._full_message()) from None

    def batch(self, limit: int) -> list[dict[str, Any]]:
        rows = self._db.execute("SELECT body FROM outbox ORDER BY seq LIMIT ?", (limit,))
        return [json.loads(body) for (body,) in rows]

    def remove(self, event_ids: list[str]) -> None:
        with self._db:
            self._db.executemany("DELETE FROM outbox WHERE event_id = ?", [(e,) for e in event_ids])

    def reject(self, event: dict[str, Any], reason: str) -> None:
        """Set aside an event the verifier refuses, so it cannot block the ones behind it."""
        with self._db:  # delete first: a full outbox reuses the freed pages
            self._db.execute("DELETE FROM outbox WHERE event_id = ?", (event["event_id"],))
            self._db.execute(
                "INSERT OR REPLACE INTO rejected VALUES (?, ?, ?, ?)",
                (event["event_id"], time.time(), reason, json.dumps(event, ensure_ascii=False)),
            )

    def rejected(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM rejected").fetchone()[0])

    def pending(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM outbox").fetchone()[0])

    def oldest_age_s(self) -> float | None:
        (oldest,) = self._db.execute("SELECT min(created_at) FROM outbox").fetchone()
        return None if oldest is None else max(0.0, time.time() - oldest)

    def used_bytes(self) -> int:
        """Bytes holding events (pending and rejected); freed pages are reused, not counted."""
        (pages,) = self._db.execute("PRAGMA page_count").fetchone()
        (free,) = self._db.execute("PRAGMA freelist_count").fetchone()
        return int(pages - free) * self._page_size

    def status(self) -> dict[str, Any]:
        """The status document's ``outbox`` section: ``alarm`` once the cap is near, ``refused``
        the events turned away since start (the last error alone would soon be overwritten)."""
        used = self.used_bytes()
        return {
            "pending": self.pending(),
            "oldest_age_s": self.oldest_age_s(),
            "rejected": self.rejected(),
            "refused": self.refused,
            "used_bytes": used,
            "max_bytes": self.max_bytes,
            "alarm": self.max_bytes is not None and used >= self.max_bytes * ALARM_FRACTION,
        }

    def close(self) -> None:
        self._db.close()

    def _full_message(self) -> str:
        used = f"{self.used_bytes() / 2**20:.3g} MB"
        if self.max_bytes is not None and shutil.disk_usage(self._path.parent).free > 2**20:
            return (
                f"outbox full: {used} of the {self.max_bytes / 2**20:.3g} MB allowed by "
                "offline.outbox_max_mb, all waiting for the verifier; this event was not "
                "recorded (none was dropped)"
            )
        return f"disk full ({used} in the outbox): this event was not recorded (none was dropped)"


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
            # asyncio.timeout, not wait_for: a wait_for cancelled here could leave its inner
            # task pending and the cancelling task waiting for it forever (Python 3.11)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.interval_s):
                    await self._wake.wait()
            self._wake.clear()

    async def flush(self) -> int:
        """Upload until the outbox is empty or the verifier fails; the number uploaded."""
        sent = 0
        while batch := self.outbox.batch(self.batch_size):
            try:
                acknowledged = await self.client.send_events(batch)
            except VerifierRefused as exc:
                if exc.status not in EVENT_REFUSALS:
                    log.warning("outbox upload refused, every event kept: %s", exc)
                    return sent
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
        """Resend a refused batch event by event: the refused ones are set aside, the rest land."""
        sent = 0
        for event in batch:
            try:
                acknowledged = await self.client.send_events([event])
            except VerifierRefused as exc:
                if exc.status not in EVENT_REFUSALS:
                    log.warning("outbox upload refused, every event kept: %s", exc)
                    return sent
                log.warning("verifier refused event %s, set aside: %s", event["event_id"], exc)
                self.outbox.reject(event, str(exc))
                continue
            except VerifierUnavailable:
                return sent
            if acknowledged == 1:
                self.outbox.remove([event["event_id"]])
                sent += 1
        return sent
