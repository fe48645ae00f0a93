"""kiosk/outbox.py: durable until acknowledged, refused events set aside, nothing sent twice."""

from __future__ import annotations

import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from kiosktools import StubVerifier, free_port

from kiosk.outbox import Outbox, Uploader
from kiosk.verifier_client import VerifierClient


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
