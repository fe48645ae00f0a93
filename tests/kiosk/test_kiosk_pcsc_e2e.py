"""Two kiosk lanes end to end over PC/SC, every part real: a virtual card on a vsmartcard-vpcd
slot → the private pcscd → pyscard → ``KioskDaemon`` → a ``yzt verifier serve`` process (SQLite,
codes imported through the feed path) → what the elder sees on ``GET /api/screen``.

Lane 1 reads slot 0 with the default ``sam-record`` profile (a reader with a SAM); lane 2 reads
slot 1 with ``serial-only``, as a plain contactless reader is configured. The demo catalog's
cards and codes are the people.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from cardfactory import PHOTO
from kiosktools import free_port
from pcsc_fixtures import DAEMON_NAME, Slots
from pcscd import PrivatePcscd
from sqlalchemy import Engine, func, select
from vpcd_card import VirtualCard

from kiosk.config import load_config
from kiosk.daemon import KioskDaemon
from kiosk.demo.feeds import write_feeds
from kiosk.subject import subject_of
from readers.masking import mask_name
from readers.record import encode_record
from readers.simulator import DEMO_CARDS, CardDeck
from verifier.config import load_config as load_verifier_config
from verifier.feeds import import_feed
from verifier.store import open_store
from verifier.store.schema import events
from verifier.store.tokens import add_token

pytestmark = pytest.mark.asyncio(loop_scope="module")

YZT = str(Path(sys.executable).with_name("yzt"))
SITE = "hospital-a"
SETTLE_S = 15.0
DECK = CardDeck.from_dir(DEMO_CARDS)
CHIP_SERIAL = bytes.fromhex("5a01c3e4770a9b12")
LANES = {
    "lane-1": f"pcsc://{DAEMON_NAME} 00 00",
    "lane-2": f"pcsc://{DAEMON_NAME} 00 01?profile=serial-only",
}


@dataclass
class Verifier:
    url: str
    engine: Engine
    pepper_file: Path
    tokens: dict[str, str]

    def events_of(self, kiosk_id: str) -> list[Any]:
        with self.engine.connect() as conn:
            query = select(events).where(events.c.kiosk_id == kiosk_id).order_by(events.c.at)
            return list(conn.execute(query))

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(events)).scalar_one())


@pytest.fixture(scope="module")
def verifier(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Verifier]:
    """``yzt verifier init`` + the demo codes through the import path + ``yzt verifier serve``."""
    data = tmp_path_factory.mktemp("verifier")
    subprocess.run([YZT, "verifier", "init", "--data", str(data)], check=True, capture_output=True)
    config_path = data / "verifier.toml"
    config = load_verifier_config(config_path)
    engine = open_store(config.database_url())
    codes = write_feeds(data / "feeds", dt.date.today())["codes"]
    with codes.open("rb") as feed:
        report = import_feed(engine, config.pepper_bytes(), "codes", feed)
    assert report.rejected == 0 and report.accepted > 0, report.as_json()
    tokens = {
        lane: add_token(engine, name=lane, role="kiosk", kiosk_id=lane, site=SITE) for lane in LANES
    }
    port = free_port()
    log = (data / "serve.log").open("wb")
    server = subprocess.Popen(
        [YZT, "verifier", "serve", "--config", str(config_path), "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, server, data / "serve.log")
        yield Verifier(url, engine, data / "pepper", tokens)
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()
        engine.dispose()


def _wait_healthy(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if httpx.get(f"{url}/healthz").status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError(f"the verifier did not come up:\n{log.read_text(errors='replace')}")


def kiosk_toml(folder: Path, lane: str, verifier: Verifier) -> Path:
    """The lane's config: its PC/SC reader, the verifier's pepper, a deadline with room for CI."""
    folder.mkdir()
    (folder / "token").write_text(verifier.tokens[lane])
    (folder / "token").chmod(0o600)
    path = folder / "kiosk.toml"
    path.write_text(
        f"""
[kiosk]
id = "{lane}"
site = "{SITE}"
[reader]
uri = "{LANES[lane]}"
[verifier]
url = "{verifier.url}"
token_file = "token"
deadline_s = 5
upload_interval_s = 0.2
[privacy]
pepper_file = "{verifier.pepper_file}"
[ui]
port = 0
result_hold_s = 60
removal_hold_s = 0
[voice]
enabled = false
[data]
dir = "data"
""",
        encoding="utf-8",
    )
    return path


class Lane:
    """One running kiosk, its screen API and the vpcd slot its reader is on."""

    def __init__(self, kiosk: KioskDaemon, slots: Slots, slot: int) -> None:
        self.kiosk, self.slots, self.slot = kiosk, slots, slot
        self.http = httpx.AsyncClient(base_url=kiosk.screen_url, timeout=5)

    async def screen(self) -> dict[str, Any]:
        return (await self.http.get("/api/screen")).json()

    async def status(self) -> dict[str, Any]:
        return (await self.http.get("/api/status")).json()

    async def until(
        self,
        read: Callable[[], Awaitable[dict[str, Any]]],
        wanted: Callable[[Any], bool],
        what: str,
    ) -> dict[str, Any]:
        end = time.monotonic() + SETTLE_S
        while time.monotonic() < end:
            document = await read()
            if wanted(document):
                return document
            await asyncio.sleep(0.05)
        status = self.kiosk.status_document()
        raise AssertionError(f"{self.kiosk.config.kiosk.id}: no {what}; last: {document}; {status}")

    async def tap(self, card: VirtualCard) -> dict[str, Any]:
        """Put ``card`` on this lane's reader; the result screen."""
        await self.until(self.screen, lambda screen: screen["state"] == "idle", "idle screen")
        self.slots.insert(card, self.slot)
        return await self.until(self.screen, lambda s: s["state"] == "result", "result screen")

    async def take_away(self) -> dict[str, Any]:
        self.slots.remove_all()
        return await self.until(self.screen, lambda s: s["state"] == "idle", "idle after removal")

    async def uploaded(self) -> None:
        await self.until(self.status, lambda status: status["outbox"]["pending"] == 0, "upload")


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def lanes(
    tmp_path_factory: pytest.TempPathFactory, pcscd_daemon: PrivatePcscd, verifier: Verifier
) -> AsyncIterator[dict[str, Lane]]:
    folder = tmp_path_factory.mktemp("kiosks")
    slots = Slots(pcscd_daemon)
    started: dict[str, Lane] = {}
    try:
        for slot, lane in enumerate(LANES):
            kiosk = KioskDaemon(load_config(kiosk_toml(folder / lane, lane, verifier)))
            await kiosk.start()
            started[lane] = Lane(kiosk, slots, slot)
        yield started
    finally:
        slots.remove_all()
        for running in started.values():
            await running.http.aclose()
            await running.kiosk.aclose()


def sam_card(name: str) -> VirtualCard:
    """The demo person's card; with a photo, as every real card has (the demo files have none,
    and a SAM reader's PC/SC record is always the full 1284 bytes)."""
    card = dataclasses.replace(DECK.card(name), photo=PHOTO)
    return VirtualCard.sam_record(encode_record(card, with_fingerprint=False))


async def test_a_green_person_passes_with_the_masked_name_and_the_event_is_stored(
    lanes: dict[str, Lane], verifier: Verifier
) -> None:
    lane, person = lanes["lane-1"], DECK.card("green")
    before = len(verifier.events_of("lane-1"))
    screen = await lane.tap(sam_card("green"))
    assert (screen["verdict"], screen["source"]) == ("PASS", "online")
    assert "CODE_GREEN" in screen["reasons"]
    assert screen["name"] == mask_name(person.name) != person.name
    assert person.name not in json.dumps(screen, ensure_ascii=False)

    await lane.uploaded()
    lane_events = verifier.events_of("lane-1")
    assert len(lane_events) == before + 1
    stored = lane_events[-1]
    pepper = verifier.pepper_file.read_bytes()
    assert (stored.verdict, stored.source, stored.site) == ("PASS", "online", SITE)
    assert stored.subject == subject_of(pepper, person.id_number)
    assert person.id_number not in json.dumps([str(value) for value in stored])

    idle = await lane.take_away()
    assert idle["name"] is None and idle["verdict"] is None
    assert (await lane.status())["reader"]["state"] == "ok"


async def test_a_red_person_is_denied(lanes: dict[str, Lane], verifier: Verifier) -> None:
    lane = lanes["lane-1"]
    before = len(verifier.events_of("lane-1"))
    screen = await lane.tap(sam_card("red"))
    assert (screen["verdict"], screen["source"]) == ("DENY", "online")
    assert "CODE_RED" in screen["reasons"]
    assert screen["name"] == mask_name(DECK.card("red").name)
    await lane.uploaded()
    stored = verifier.events_of("lane-1")
    assert len(stored) == before + 1 and stored[-1].verdict == "DENY"
    await lane.take_away()


async def test_a_reader_without_sam_asks_staff_to_check_and_sends_nothing(
    lanes: dict[str, Lane], verifier: Verifier
) -> None:
    lane = lanes["lane-2"]
    before = verifier.count()
    screen = await lane.tap(VirtualCard.serial_only(CHIP_SERIAL))
    assert screen == {
        "state": "result",
        "verdict": "CHECK",
        "reasons": ["READER_NO_IDENTITY"],
        "name": None,
        "source": "none",
        "data_age_s": None,
    }
    status = await lane.status()
    assert status["counts_today"]["CHECK"] == 1 and status["reader"]["state"] == "ok"
    assert status["outbox"]["pending"] == 0 and verifier.count() == before
    await lane.take_away()
