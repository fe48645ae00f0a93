"""kiosk/outbox.py under SIGKILL: a kiosk process (the real ``Outbox``, ``Uploader`` and
``VerifierClient``) takes verdicts and uploads them to a real verifier, and is killed at many
points — opening the file, writing events, with a batch in flight, and right after the verifier
stored a batch the kiosk had not yet marked sent. Every committed event reaches the verifier
exactly once, and the outbox file stays sound."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from offline_helpers import LiveVerifier
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, event, select

from kiosk.outbox import Outbox
from verifier.store.events import count_events
from verifier.store.schema import events

pytest_plugins = ("offline_fixtures",)

BATCH = 5
CHUNK = 30  # new events per kiosk run
KIOSK = """
import asyncio, datetime, hashlib, sys
from pathlib import Path
from kiosk.outbox import Outbox, Uploader
from kiosk.verifier_client import VerifierClient

path, url, token, first, last, batch = sys.argv[1:]

def tap(n):
    return {
        "event_id": f"ev-{n:05d}", "kiosk_id": "lane-1", "site": "hospital-a",
        "at": datetime.datetime.now(datetime.UTC).isoformat(), "verdict": "PASS", "reasons": [],
        "source": "online", "subject": hashlib.sha256(f"person-{n}".encode()).hexdigest(),
    }

async def main():
    outbox = Outbox(Path(path))
    uploader = Uploader(outbox, VerifierClient(url, token), interval_s=0.05, batch=int(batch))
    task = asyncio.create_task(uploader.run())
    print("ready", flush=True)
    for n in range(int(first), int(last)):
        outbox.add(tap(n))
        print(n, flush=True)  # add() returned: committed
        uploader.nudge()
        await asyncio.sleep(0.002)
    while outbox.pending():
        await asyncio.sleep(0.01)
    task.cancel()

asyncio.run(main())
"""


def event_id(n: int) -> str:
    return f"ev-{n:05d}"


@dataclass
class Ledger:
    """What the kiosk runs claimed: events whose ``add()`` returned, and the one per killed run
    that may have been mid-write (a retapping person gets a new event id, so it is skipped)."""

    committed: set[str] = field(default_factory=set)
    maybe: set[str] = field(default_factory=set)
    next: int = 0


def start_kiosk(
    live: LiveVerifier, box: Path, first: int, last: int, log: Path
) -> subprocess.Popen[bytes]:
    with log.open("ab") as errors:
        return subprocess.Popen(
            [
                sys.executable,
                "-c",
                KIOSK,
                *map(str, (box, live.url, live.token, first, last, BATCH)),
            ],
            stdout=subprocess.PIPE,
            stderr=errors,
        )


def settle(
    child: subprocess.Popen[bytes], ledger: Ledger, first: int, last: int
) -> tuple[bool, int]:
    """Read what a finished or killed run committed → (ran to the end, events it committed)."""
    assert child.stdout is not None
    out = child.stdout.read().decode()
    child.wait(10)
    lines = out.split("\n")[:-1]  # a line cut short by the kill has no newline
    written = [int(line) for line in lines if line.isdigit()]
    ledger.committed |= {event_id(n) for n in written}
    if child.returncode == 0:
        assert written == list(range(first, last))
        ledger.next = last
        return True, len(written)
    assert child.returncode == -signal.SIGKILL
    tried = (written[-1] if written else first - 1) + 1
    if tried < last:
        ledger.maybe.add(event_id(tried))
    ledger.next = tried + 1
    return False, len(written)


def outbox_ids(box: Path) -> list[str]:
    """The events a restarted kiosk finds, read through ``Outbox`` after checking the file."""
    with closing(sqlite3.connect(box)) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    outbox = Outbox(box)
    try:
        assert outbox.rejected() == 0
        return [e["event_id"] for e in outbox.batch(1_000_000)]
    finally:
        outbox.close()


def stored_ids(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(select(events.c.event_id)).scalars())


def event_counter(live: LiveVerifier) -> dict[str, float]:
    """The verifier's own count of events accepted and refused as duplicates (``/metrics``)."""
    text = httpx.get(f"{live.url}/metrics").text
    return {
        sample.labels["outcome"]: sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "yzt_verifier_events"
        for sample in family.samples
        if sample.name == "yzt_verifier_events_total"
    }


def check_nothing_lost(live: LiveVerifier, box: Path, ledger: Ledger) -> tuple[list[str], set[str]]:
    """After any kill: each committed event is in the outbox or stored, none twice in the outbox."""
    waiting, stored = outbox_ids(box), stored_ids(live.engine)
    assert len(waiting) == len(set(waiting))
    assert ledger.committed <= set(waiting) | stored
    assert set(waiting) | stored <= ledger.committed | ledger.maybe
    return waiting, stored


def check_drained(live: LiveVerifier, box: Path, ledger: Ledger) -> None:
    """Every committed event stored once, the outbox empty and sound."""
    waiting, stored = check_nothing_lost(live, box, ledger)
    assert waiting == []
    assert ledger.committed <= stored <= ledger.committed | ledger.maybe
    assert count_events(live.engine) == len(stored)
    assert event_counter(live).get("accepted") == len(stored)


def test_killed_anywhere_the_kiosk_loses_and_duplicates_nothing(
    live_verifier: LiveVerifier, tmp_path: Path
) -> None:
    box, log, ledger = tmp_path / "outbox.sqlite3", tmp_path / "kiosk.log", Ledger()
    child = start_kiosk(live_verifier, box, 0, CHUNK, log)
    assert child.stdout is not None and child.stdout.readline() == b"ready\n"
    started = time.monotonic()
    assert settle(child, ledger, 0, CHUNK)[0]
    full = time.monotonic() - started  # one run's writing and uploading, measured here
    rng = random.Random(5)
    kills = {"starting": 0, "writing": 0, "uploading": 0, "finished first": 0}
    for attempt in range(12):
        first, last = ledger.next, ledger.next + CHUNK
        child = start_kiosk(live_verifier, box, first, last, log)
        assert child.stdout is not None
        if attempt % 4 == 0:  # while Python starts and the outbox file is opened
            time.sleep(rng.uniform(0.0, 0.6))
        else:
            assert child.stdout.readline() == b"ready\n"
            time.sleep(rng.uniform(0.0, 0.8 * full))
        os.kill(child.pid, signal.SIGKILL)
        finished, written = settle(child, ledger, first, last)
        check_nothing_lost(live_verifier, box, ledger)
        if finished:
            kills["finished first"] += 1
        elif written == 0:
            kills["starting"] += 1
        else:
            kills["writing" if written < CHUNK else "uploading"] += 1
    print(f"one run {full:.2f} s; SIGKILL landed: {kills}; {len(ledger.committed)} committed")
    assert kills["writing"] + kills["uploading"] >= 5, kills

    child = start_kiosk(live_verifier, box, ledger.next, ledger.next, log)
    assert settle(child, ledger, ledger.next, ledger.next)[0], log.read_text()
    check_drained(live_verifier, box, ledger)


class KillOnStore:
    """Kills the kiosk as the verifier inserts its ``nth`` batch and keeps that batch's ids. The
    verifier's transaction goes on to commit, so the kiosk dies holding a batch that is stored
    but was never acknowledged to it."""

    def __init__(self, pid: int, nth: int) -> None:
        self.pid, self.nth, self.seen = pid, nth, 0
        self.batch: set[str] = set()

    def __call__(self, *args: Any) -> None:
        statement, parameters = args[2], args[3]
        if statement.lstrip().upper().startswith("INSERT INTO EVENTS"):
            self.seen += 1
            if self.seen == self.nth:
                self.batch = {p for p in parameters if isinstance(p, str) and p.startswith("ev-")}
                os.kill(self.pid, signal.SIGKILL)


@contextmanager
def kill_on_store(engine: Engine, pid: int, nth: int) -> Iterator[KillOnStore]:
    hook = KillOnStore(pid, nth)
    event.listen(engine, "after_cursor_execute", hook)
    try:
        yield hook
    finally:
        event.remove(engine, "after_cursor_execute", hook)


def wait_stored(engine: Engine, wanted: set[str]) -> set[str]:
    """The verifier's events once ``wanted`` is among them (its commit follows the kill)."""
    deadline = time.monotonic() + 10
    while not wanted <= (stored := stored_ids(engine)) and time.monotonic() < deadline:
        time.sleep(0.01)
    return stored


def test_killed_after_the_verifier_stored_a_batch_before_it_was_marked_sent(
    live_verifier: LiveVerifier, tmp_path: Path
) -> None:
    box, log, ledger = tmp_path / "outbox.sqlite3", tmp_path / "kiosk.log", Ledger()
    resent = 0
    for nth in (2, 4, 3):  # nth ≥ 2: the resend of the last run's batch completes first
        first, last = ledger.next, ledger.next + CHUNK
        child = start_kiosk(live_verifier, box, first, last, log)
        with kill_on_store(live_verifier.engine, child.pid, nth) as hook:
            assert not settle(child, ledger, first, last)[0]
        assert 0 < len(hook.batch) <= BATCH
        assert hook.batch <= set(outbox_ids(box))  # the kiosk still holds it …
        assert hook.batch <= wait_stored(live_verifier.engine, hook.batch)  # … the verifier too
        check_nothing_lost(live_verifier, box, ledger)
        resent += len(hook.batch)

    child = start_kiosk(live_verifier, box, ledger.next, ledger.next, log)
    assert settle(child, ledger, ledger.next, ledger.next)[0], log.read_text()
    check_drained(live_verifier, box, ledger)
    assert event_counter(live_verifier).get("duplicate") == resent
