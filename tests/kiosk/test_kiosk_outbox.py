"""kiosk/outbox.py: durable until acknowledged, refused events set aside, nothing sent twice,
bounded on disk (test_kiosk_outbox_kill.py kills it mid-upload)."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from kiosktools import StubVerifier, free_port, write_config

from kiosk.config import ConfigError, load_config
from kiosk.daemon import KioskDaemon
from kiosk.demo.catalog import CARDS_DIR
from kiosk.outbox import Outbox, OutboxFull, Uploader
from kiosk.verifier_client import VerifierClient
from readers.simulator import CardDeck, SamSimulator

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
    sim = SamSimulator(CardDeck.from_dir(CARDS_DIR))
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
