"""kiosk/outbox.py: durable until acknowledged, refused events set aside, nothing sent twice,
bounded on disk (test_kiosk_outbox_kill.py kills it mid-upload). Events a real verifier refuses
for their time (a wrong kiosk clock, an outage past retention) are set aside with the reason while
the rest of their batch lands; a refused token sets nothing aside."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from kiosktools import StubVerifier, free_port, write_config
from offline_helpers import LiveVerifier
from sqlalchemy import select

from kiosk.config import ConfigError, load_config
from kiosk.daemon import KioskDaemon
from kiosk.outbox import Outbox, OutboxFull, Uploader
from kiosk.verifier_client import VerifierClient
from readers.simulator import DEMO_CARDS, CardDeck, SamSimulator
from verifier.store.schema import events as stored_events
from verifier.store.tokens import add_token

pytest_plugins = ("offline_fixtures",)
CAP_MB = 0.0625  # 64 KiB: about a hundred events


def event(n: int) -> dict[str, object]:
    return {"event_id": str(uuid.uuid4()), "verdict": "PASS", "n": n}


@pytest.fixture
async def stub() -> AsyncIterator[StubVerifier]:
    server = await StubVerifier().start()
    yield server
    await server.stop()


def test_events_survive_reopening(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.sqlite3")
    first = event(1)
    outbox.add(first)
    outbox.add(first)
    outbox.close()
    again = Outbox(tmp_path / "o.sqlite3")
    assert again.pending() == 1
    assert again.batch(10) == [first]
    assert again.oldest_age_s() is not None


async def test_upload_deletes_only_what_was_acknowledged(
    tmp_path: Path, stub: StubVerifier
) -> None:
    outbox = Outbox(tmp_path / "o.sqlite3")
    events = [event(n) for n in range(5)]
    for e in events:
        outbox.add(e)
    client = VerifierClient(stub.url, "t")
    uploader = Uploader(outbox, client, interval_s=60, batch=2)
    assert await uploader.flush() == 5
    assert outbox.pending() == 0
    assert [e["event_id"] for e in stub.requests["events"]] == [e["event_id"] for e in events]
    await client.aclose()


async def test_verifier_down_keeps_everything(tmp_path: Path, stub: StubVerifier) -> None:
    outbox = Outbox(tmp_path / "o.sqlite3")
    outbox.add(event(1))
    down = VerifierClient(f"http://127.0.0.1:{free_port()}", "t")
    assert await Uploader(outbox, down, interval_s=60, batch=10).flush() == 0
    stub.mode = "500"
    failing = VerifierClient(stub.url, "t")
    assert await Uploader(outbox, failing, interval_s=60, batch=10).flush() == 0
    assert outbox.pending() == 1
    await down.aclose()
    await failing.aclose()


async def test_a_refused_event_cannot_block_the_rest(tmp_path: Path, stub: StubVerifier) -> None:
    outbox = Outbox(tmp_path / "o.sqlite3")
    outbox.add(event(1))
    outbox.add(event(2))
    stub.mode = "refuse"
    client = VerifierClient(stub.url, "t")
    assert await Uploader(outbox, client, interval_s=60, batch=10).flush() == 0
    assert outbox.pending() == 0
    assert outbox.rejected() == 2
    await client.aclose()


def test_a_committed_event_survives_kill_9(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite3"
    writer = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from kiosk.outbox import Outbox\n"
        "Outbox(Path(sys.argv[1])).add({'event_id': 'e-1', 'verdict': 'CHECK'})\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    done = subprocess.run([sys.executable, "-c", writer, str(path)], check=False)
    assert done.returncode == -signal.SIGKILL
    assert Outbox(path).batch(10) == [{"event_id": "e-1", "verdict": "CHECK"}]


def test_a_batch_is_marked_sent_in_one_commit(tmp_path: Path) -> None:
    """One WAL commit (one fsync) per acknowledged batch, not one per event: on a kiosk's SD card
    that is ~10 ms instead of a second of the daemon's event loop, and the next tap, stalled."""
    path = tmp_path / "o.sqlite3"
    outbox = Outbox(path)
    events = [event(n) for n in range(100)]
    for e in events:
        outbox.add(e)
    wal = Path(f"{path}-wal")
    before = wal.stat().st_size
    outbox.remove([e["event_id"] for e in events])
    pages_written = (wal.stat().st_size - before) / 4096
    assert outbox.pending() == 0
    assert pages_written < 50  # one commit: ~10 pages; a commit per event: over 200


def fill(outbox: Outbox) -> list[str]:
    """Add events until the outbox refuses one → the ids it kept; checks the alarm came first."""
    kept: list[str] = []
    alarm_at = None
    with pytest.raises(OutboxFull) as full:
        while True:
            e = event(len(kept)) | {"padding": "x" * 300}
            outbox.add(e)
            kept.append(str(e["event_id"]))
            if alarm_at is None and outbox.status()["alarm"]:
                alarm_at = len(kept)
    message = str(full.value)
    assert "outbox full" in message and "offline.outbox_max_mb" in message
    assert "not recorded" in message
    assert alarm_at is not None and alarm_at < len(kept)
    return kept


def test_a_full_outbox_refuses_new_events_and_keeps_every_old_one(tmp_path: Path) -> None:
    path, cap = tmp_path / "o.sqlite3", int(CAP_MB * 2**20)
    outbox = Outbox(path, max_bytes=cap)
    assert outbox.status()["alarm"] is False
    kept = fill(outbox)
    assert outbox.refused == 1
    assert [e["event_id"] for e in outbox.batch(len(kept) + 1)] == kept
    status = outbox.status()
    assert status["alarm"] is True and status["used_bytes"] <= cap == status["max_bytes"]

    outbox.reject(outbox.batch(1)[0], "422")  # moving an event aside needs no new room
    outbox.remove(kept[1:30])  # marking sent frees room for new events
    outbox.add(event(-1))
    assert outbox.pending() == len(kept) - 29
    outbox.close()
    assert path.stat().st_size <= cap  # the last close checkpoints the WAL into the file
    reopened = Outbox(path, max_bytes=cap)
    assert (reopened.pending(), reopened.rejected()) == (len(kept) - 29, 1)


def test_the_cap_is_checked_in_the_config(tmp_path: Path) -> None:
    config = write_config(
        tmp_path, "http://127.0.0.1:1", "sim://x", "[offline]\noutbox_max_mb = 0\n"
    )
    with pytest.raises(ConfigError) as problem:
        load_config(config)
    assert any(line.startswith("offline.outbox_max_mb:") for line in problem.value.problems)


async def wait_for(check: Any, what: str) -> Any:
    deadline = time.monotonic() + 10
    while not (value := await check()):
        assert time.monotonic() < deadline, f"not within 10 s: {what}"
        await asyncio.sleep(0.05)
    return value


async def test_a_full_outbox_alarms_staff_and_the_elder_still_gets_a_verdict(
    tmp_path: Path, stub: StubVerifier, caplog: pytest.LogCaptureFixture
) -> None:
    stub.mode = "500"
    sim = SamSimulator(CardDeck.from_dir(DEMO_CARDS))
    sim_port = await sim.serve_tcp("127.0.0.1", 0)
    offline = f"[offline]\noutbox_max_mb = {CAP_MB}\n"
    config = write_config(tmp_path, stub.url, f"tcp://127.0.0.1:{sim_port}", offline)
    backlog = fill(Outbox(tmp_path / "data" / "outbox.sqlite3", max_bytes=int(CAP_MB * 2**20)))
    kiosk = KioskDaemon(load_config(config))
    await kiosk.start()
    http = httpx.AsyncClient(base_url=kiosk.screen_url, timeout=5)

    async def status() -> dict[str, Any]:
        return (await http.get("/api/status")).json()

    async def result() -> dict[str, Any] | None:
        screen = (await http.get("/api/screen")).json()
        return screen if screen["state"] == "result" else None

    async def drained() -> bool:
        return (await status())["outbox"]["pending"] == 0

    try:
        assert (await status())["outbox"]["alarm"] is True
        sim.insert("green")
        assert (await wait_for(result, "a verdict on the screen"))["verdict"] in {"PASS", "CHECK"}
        outbox = (await status())["outbox"]
        assert (outbox["refused"], outbox["pending"]) == (1, len(backlog))  # nothing dropped
        assert "outbox full" in caplog.text and "offline.outbox_max_mb" in caplog.text

        stub.mode = "ok"
        kiosk.uploader.nudge()
        await wait_for(drained, "the backlog to upload")
        assert [e["event_id"] for e in stub.requests["events"]] == backlog
        assert (await status())["outbox"]["alarm"] is False
    finally:
        await http.aclose()
        await kiosk.aclose()
        await sim.aclose()


def tap(n: int, at: datetime) -> dict[str, object]:
    """A verdict event of the live verifier's kiosk (lane-1 at hospital-a)."""
    return {
        "event_id": f"ev-{n:03d}",
        "kiosk_id": "lane-1",
        "site": "hospital-a",
        "at": at.isoformat(),
        "verdict": "PASS",
        "reasons": ["CODE_GREEN"],
        "source": "online",
    }


def set_aside(path: Path) -> dict[str, str]:
    """The outbox's rejected table: event id → the verifier's reason."""
    with closing(sqlite3.connect(path)) as db:
        return dict(db.execute("SELECT event_id, reason FROM rejected").fetchall())


async def test_events_refused_for_their_time_are_set_aside_and_the_batch_lands(
    tmp_path: Path, live_verifier: LiveVerifier
) -> None:
    path = tmp_path / "o.sqlite3"
    outbox = Outbox(path)
    now = datetime.now(UTC)
    good = [tap(n, now - timedelta(minutes=n)) for n in range(6)]
    bad = [
        tap(10, now + timedelta(hours=2)),  # recorded while the kiosk clock ran two hours fast
        tap(11, now - timedelta(days=31)),  # back from an outage longer than retention
        tap(12, datetime(1, 1, 1, tzinfo=UTC)),  # an unset real-time clock
    ]
    for e in (good[0], bad[0], good[1], good[2], bad[1], good[3], bad[2], good[4], good[5]):
        outbox.add(e)
    client = VerifierClient(live_verifier.url, live_verifier.token)
    uploader = Uploader(outbox, client, interval_s=60, batch=4)
    assert await uploader.flush() == len(good)
    status = outbox.status()  # the status document's outbox section, as staff see it
    assert (status["pending"], status["rejected"]) == (0, len(bad))
    reasons = set_aside(path)
    assert sorted(reasons) == [e["event_id"] for e in bad]
    assert all("refused with 422" in reason for reason in reasons.values())
    assert all(".at: must be within" in reason for reason in reasons.values())  # names the field
    with live_verifier.engine.connect() as conn:
        landed = sorted(conn.execute(select(stored_events.c.event_id)).scalars())
    assert landed == sorted(e["event_id"] for e in good)  # each once, none of the refused
    assert await uploader.flush() == 0 and outbox.status()["rejected"] == len(bad)
    await client.aclose()


async def test_a_refused_token_sets_nothing_aside(
    tmp_path: Path, live_verifier: LiveVerifier
) -> None:
    """A revoked or mistyped token is the kiosk's problem, not its events': they all wait."""
    outbox = Outbox(tmp_path / "o.sqlite3")
    now = datetime.now(UTC)
    for n in range(5):
        outbox.add(tap(n, now))
    wrong = VerifierClient(live_verifier.url, "not-the-token")
    assert await Uploader(outbox, wrong, interval_s=60, batch=2).flush() == 0
    assert (outbox.pending(), outbox.rejected()) == (5, 0)
    right = VerifierClient(live_verifier.url, live_verifier.token)
    assert await Uploader(outbox, right, interval_s=60, batch=2).flush() == 5
    assert (outbox.pending(), outbox.rejected()) == (0, 0)
    await wrong.aclose()
    await right.aclose()


async def test_a_token_of_another_kiosk_sets_nothing_aside(
    tmp_path: Path, live_verifier: LiveVerifier
) -> None:
    """A box given lane-2's token by mistake gets 403 for lane-1's events: a deployment error
    that staff fix, so every event waits for the right token instead of being set aside."""
    outbox = Outbox(tmp_path / "o.sqlite3")
    now = datetime.now(UTC)
    for n in range(3):
        outbox.add(tap(n, now))
    other = add_token(
        live_verifier.engine, name="lane-2", role="kiosk", kiosk_id="lane-2", site="hospital-a"
    )
    misdeployed = VerifierClient(live_verifier.url, other)
    assert await Uploader(outbox, misdeployed, interval_s=60, batch=2).flush() == 0
    assert (outbox.pending(), outbox.rejected()) == (3, 0)
    assert misdeployed.last_error is not None and "403" in misdeployed.last_error
    right = VerifierClient(live_verifier.url, live_verifier.token)
    assert await Uploader(outbox, right, interval_s=60, batch=2).flush() == 3
    await misdeployed.aclose()
    await right.aclose()
