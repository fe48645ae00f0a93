"""The daemon end to end on real parts: SAM simulator on TCP → kiosk → a real HTTP verifier.

The verifier here is a tiny server we control (kiosktools.StubVerifier) so faults can be
switched on: stopped, slower than the deadline, answering 500. The real verifier is used by
test_kiosk_ui.py through ``yzt demo``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
import subprocess
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from browser_fixtures import CHROMIUM, CHROMIUM_ARGS
from kiosktools import NO_DEVICE, PEPPER, StubVerifier, write_config
from playwright.async_api import async_playwright

from kiosk.config import load_config
from kiosk.daemon import KioskDaemon
from kiosk.demo.run import yzt_command
from kiosk.subject import subject_of
from readers import CardUnreadable
from readers.simulator import DEMO_CARDS, CardDeck, SamSimulator
from verifier.config import FleetConfig
from verifier.fleet.heartbeat import Heartbeat
from verifier.fleet.state import assess

pytestmark = pytest.mark.asyncio(loop_scope="module")
DEADLINE_S = 0.6  # kiosktools.write_config
SETTLE_S = DEADLINE_S + 2.0  # deadline + reader poll + wire time, generously
GATE = """
[gate]
kind = "serial"
port = "{port}"
open_hex = "A0 01 01 A2"
close_hex = "A0 01 00 A1"
pulse_ms = 50
"""


class Rig:
    def __init__(
        self, sim: SamSimulator, sim_port: int, stub: StubVerifier, kiosk: KioskDaemon, relay: int
    ) -> None:
        self.sim, self.sim_port, self.stub, self.kiosk = sim, sim_port, stub, kiosk
        self.relay = relay
        self.http = httpx.AsyncClient(base_url=kiosk.screen_url, timeout=5)

    async def screen(self) -> dict[str, Any]:
        return (await self.http.get("/api/screen")).json()

    async def status(self) -> dict[str, Any]:
        return (await self.http.get("/api/status")).json()

    async def wait_for(
        self, check: Callable[[], Any], what: str, timeout_s: float = SETTLE_S
    ) -> Any:
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            value = await check()
            if value:
                return value
            await asyncio.sleep(0.02)
        raise AssertionError(f"not within {timeout_s} s: {what}")

    async def tap(self, card: str) -> dict[str, Any]:
        """Put ``card`` on the reader (after taking any card away); its result screen."""
        self.sim.remove()
        await asyncio.sleep(0.3)  # a few reader polls, so the removal is seen first
        before = (await self.status())["counts_today"]["total"]
        self.sim.insert(card)

        async def result() -> dict[str, Any] | None:
            if (await self.status())["counts_today"]["total"] == before:
                return None
            screen = await self.screen()
            return screen if screen["state"] == "result" else None

        return await self.wait_for(result, f"a result for {card}")


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def rig(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Rig]:
    directory = tmp_path_factory.mktemp("daemon")
    stub = await StubVerifier().start()
    sim = SamSimulator(CardDeck.from_dir(DEMO_CARDS))
    sim_port = await sim.serve_tcp("127.0.0.1", 0)
    relay, relay_port = os.openpty()
    os.set_blocking(relay, False)
    gate = GATE.format(port=os.ttyname(relay_port))
    path = write_config(directory, stub.url, f"tcp://127.0.0.1:{sim_port}", gate)
    kiosk = KioskDaemon(load_config(path))
    await kiosk.start()
    rig = Rig(sim, sim_port, stub, kiosk, relay)
    yield rig
    await rig.http.aclose()
    await kiosk.aclose()
    await sim.aclose()
    await stub.stop()
    os.close(relay)
    os.close(relay_port)


def green_id_number() -> str:
    return json.loads((DEMO_CARDS / "green.json").read_text())["id_number"]


async def test_online_pass_shows_masked_name_and_sends_only_the_subject(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    rig.stub.mode, rig.stub.verdict = "ok", ("PASS", ["CODE_GREEN"])
    with caplog.at_level(logging.DEBUG):
        screen = await rig.tap("green")
    assert green_id_number() not in caplog.text
    assert screen["verdict"] == "PASS"
    assert screen["reasons"] == ["CODE_GREEN"]
    assert screen["source"] == "online"
    assert "*" in screen["name"]
    request = rig.stub.requests["verify"][-1]
    assert request["subject"] == subject_of(PEPPER, green_id_number())
    assert request["site"] == "hospital-a"
    assert request["card"]["card_type"] == "resident"
    assert green_id_number() not in json.dumps(request)

    uploaded = await rig.wait_for(
        lambda: _events_with(rig, request["event_id"]), "the event to be uploaded"
    )
    assert uploaded["verdict"] == "PASS" and uploaded["kiosk_id"] == "lane-1"
    assert green_id_number() not in json.dumps(uploaded)
    assert (await rig.status())["outbox"]["pending"] == 0


async def _events_with(rig: Rig, event_id: str) -> dict[str, Any] | None:
    return next((e for e in rig.stub.requests["events"] if e["event_id"] == event_id), None)


def relay_bytes(rig: Rig) -> bytes:
    try:
        return os.read(rig.relay, 1024)
    except BlockingIOError:
        return b""


async def test_pass_opens_the_gate_and_deny_does_not(rig: Rig) -> None:
    await asyncio.sleep(0.3)
    relay_bytes(rig)  # whatever earlier PASS taps sent
    rig.stub.mode, rig.stub.verdict = "ok", ("DENY", ["CODE_RED"])
    await rig.tap("red")
    await asyncio.sleep(0.3)
    assert relay_bytes(rig) == b""

    rig.stub.verdict = ("PASS", ["CODE_GREEN"])
    await rig.tap("green")

    async def opened() -> bytes:
        return relay_bytes(rig)

    sent = await rig.wait_for(opened, "the relay to be driven")
    await asyncio.sleep(0.3)  # the 50 ms pulse ends
    assert sent + relay_bytes(rig) == bytes.fromhex("A00101A2 A00100A1")


async def test_a_card_left_on_the_reader_is_not_verified_again(rig: Rig) -> None:
    rig.stub.mode = "ok"
    await rig.tap("red")
    asked = len(rig.stub.requests["verify"])
    await asyncio.sleep(0.6)  # several reader polls with the card still there
    assert len(rig.stub.requests["verify"]) == asked
    rig.sim.remove()
    await rig.wait_for(_is_idle(rig), "idle after the card was taken away")


def _is_idle(rig: Rig) -> Callable[[], Any]:
    async def check() -> bool:
        return (await rig.screen())["state"] == "idle"

    return check


@pytest.mark.parametrize("fault", ["500", "slow", "stopped"])
async def test_verifier_trouble_gives_check_could_not_verify_within_the_deadline(
    rig: Rig, fault: str
) -> None:
    if fault == "stopped":
        await rig.stub.stop()
    else:
        rig.stub.mode, rig.stub.delay_s = fault, DEADLINE_S + 1.0
    try:
        screen = await rig.tap("green")
        assert screen["verdict"] == "CHECK"
        assert screen["reasons"] == ["VERIFY_UNAVAILABLE"]
        assert screen["source"] == "none"
        status = await rig.status()
        assert status["verifier"]["state"] == "error"
        assert status["last_error"].startswith("verifier:")
    finally:
        if fault == "stopped":
            await rig.stub.start()
        rig.stub.mode = "ok"
    screen = await rig.tap("elder")
    assert (screen["verdict"], screen["source"]) == ("PASS", "online"), "kiosk recovered"


async def test_verifier_outage_events_wait_in_the_outbox(rig: Rig) -> None:
    await rig.stub.stop()
    try:
        await rig.tap("yellow")
        status = await rig.status()
        assert status["outbox"]["pending"] >= 1
    finally:
        await rig.stub.start()
    rig.kiosk.uploader.nudge()
    await rig.wait_for(_outbox_empty(rig), "the outbox to drain once the verifier is back")


def _outbox_empty(rig: Rig) -> Callable[[], Any]:
    async def check() -> bool:
        return (await rig.status())["outbox"]["pending"] == 0

    return check


async def test_reader_gone_is_shown_and_the_kiosk_recovers(rig: Rig) -> None:
    await rig.sim.unplug()

    async def reader_error() -> bool:
        return (await rig.status())["reader"]["state"] == "error"

    await rig.wait_for(reader_error, "the reader to be reported gone", timeout_s=10)
    assert rig.kiosk.screen.reader.ok is False
    assert (await rig.status())["reader"]["code"] == "READER_UNPLUGGED", "from the fault's type"
    await rig.sim.serve_tcp("127.0.0.1", rig.sim_port)

    async def reader_ok() -> bool:
        return (await rig.status())["reader"]["state"] == "ok"

    await rig.wait_for(reader_ok, "the reader to come back", timeout_s=15)
    rig.stub.mode = "ok"
    screen = await rig.tap("green")
    assert screen["state"] == "result"


async def test_unreadable_card_asks_staff_and_names_the_problem(rig: Rig) -> None:
    pipeline = rig.kiosk._pipeline()
    await rig.kiosk.handle(
        CardUnreadable(reason="card_data", message="id_number: bad check digit", field="id_number"),
        pipeline,
    )
    screen = await rig.screen()
    assert (screen["verdict"], screen["reasons"]) == ("CHECK", ["CARD_BAD_ID_NUMBER"])
    await rig.kiosk.handle(CardUnreadable(reason="no_sam", message="no SAM"), pipeline)
    assert (await rig.screen())["reasons"] == ["READER_NO_IDENTITY"]
    unparsed = CardUnreadable(reason="card_data", message="name: not UTF-16", field="name")
    await rig.kiosk.handle(unparsed, pipeline)
    assert (await rig.screen())["reasons"] == ["CARD_UNREADABLE_IDENTITY"]


async def test_status_counts_metrics_and_heartbeat(rig: Rig) -> None:
    status = await rig.status()
    counts = status["counts_today"]
    assert counts["total"] == counts["PASS"] + counts["CHECK"] + counts["DENY"] >= 5
    assert counts["elder"] >= 1
    metrics = (await rig.http.get("/metrics")).text
    assert 'yzt_kiosk_taps_total{source="online",verdict="PASS"}' in metrics
    assert green_id_number() not in metrics

    await rig.kiosk.send_heartbeat()
    beat = rig.stub.requests["heartbeat"][-1]
    for key in (
        "kiosk_id",
        "site",
        "version",
        "uptime_s",
        "reader",
        "verifier",
        "risklist",
        "outbox",
        "counts_today",
        "last_error",
    ):
        assert key in beat
    typed = Heartbeat.model_validate(beat)  # what the verifier accepts, to the last key
    assert typed.model_dump(mode="json", exclude_unset=True).keys() == beat.keys()
    assert (await rig.status())["clock_drift_s"] is not None


async def test_the_status_page_lists_the_last_taps_masked_and_keeps_them_off_the_heartbeat(
    rig: Rig,
) -> None:
    rig.stub.mode, rig.stub.verdict = "ok", ("PASS", ["CODE_GREEN"])
    screen = await rig.tap("green")
    subject = rig.stub.requests["verify"][-1]["subject"]
    status = await rig.status()
    taps = status["recent"]
    assert 5 <= len(taps) <= 20
    newest = taps[0]
    assert (newest["verdict"], newest["reasons"], newest["name"]) == (
        "PASS",
        ["CODE_GREEN"],
        screen["name"],
    )
    assert "*" in newest["name"]
    assert all(set(tap) == {"at", "verdict", "reasons", "name"} for tap in taps)
    assert subject not in json.dumps(taps) and green_id_number() not in json.dumps(taps)
    assert dt.datetime.fromisoformat(newest["at"]) >= dt.datetime.fromisoformat(taps[-1]["at"])

    await rig.kiosk.send_heartbeat()
    assert "recent" not in rig.stub.requests["heartbeat"][-1]  # names stay on the kiosk


async def test_no_id_number_in_the_outbox_file(rig: Rig) -> None:
    database = rig.kiosk.config.data.dir / "outbox.sqlite3"
    for path in database.parent.glob("outbox.sqlite3*"):
        assert green_id_number().encode() not in path.read_bytes()


@pytest.mark.browser
async def test_the_page_shows_offline_and_out_of_service(rig: Rig, artifacts_dir: Path) -> None:
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 800})
        rig.sim.remove()
        await page.goto(rig.kiosk.screen_url)
        await page.wait_for_selector("body[data-state=idle]", timeout=5000)
        await rig.stub.stop()
        try:
            await rig.tap("green")
            await page.wait_for_selector("body[data-verdict=CHECK] #offline", timeout=5000)
            assert await page.inner_text("#offline") == "未能联网核验\nNot verified online"
            assert await page.inner_text("#reason-zh") == "暂时无法核验"
            await page.screenshot(path=artifacts_dir / "kiosk-verifier-down.png")
        finally:
            await rig.stub.start()
        await rig.sim.unplug()
        await page.wait_for_selector("#out-of-service:visible", timeout=10000)
        assert "读卡器暂停服务" in await page.inner_text("#out-of-service")
        await page.screenshot(path=artifacts_dir / "kiosk-reader-gone.png")
        await rig.sim.serve_tcp("127.0.0.1", rig.sim_port)
        await page.wait_for_selector("#out-of-service", state="hidden", timeout=15000)
        await browser.close()


async def test_a_silent_kiosk_tells_yzt_kiosk_status_and_the_fleet(tmp_path: Path) -> None:
    """No sound device: the real espeak-ng renders, the player fails at the first verdict, and
    the failure reaches ``yzt kiosk status`` and the heartbeat the fleet console alerts on."""
    stub = await StubVerifier().start()
    sim = SamSimulator(CardDeck.from_dir(DEMO_CARDS))
    sim_port = await sim.serve_tcp("127.0.0.1", 0)
    path = write_config(tmp_path, stub.url, f"tcp://127.0.0.1:{sim_port}")
    player = json.dumps(NO_DEVICE)
    path.write_text(
        path.read_text().replace("[voice]\nenabled = false", f"[voice]\nplayer = {player}")
    )
    kiosk = KioskDaemon(load_config(path))
    await kiosk.start()
    rig = Rig(sim, sim_port, stub, kiosk, relay=-1)
    try:
        await rig.tap("green")
        await rig.wait_for(
            lambda: _voice_is(rig, "error"), "the voice to report its failure", timeout_s=10
        )
        shown = await asyncio.to_thread(
            subprocess.run,
            [*yzt_command(), "kiosk", "status", "--url", kiosk.screen_url],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert shown.returncode == 0, shown.stderr
        rows = {line.split("│")[1].strip(): line for line in shown.stdout.splitlines()[3:-1]}
        assert "error · voice player failed (no sound device?)" in rows["voice"]
        assert "voice: voice player failed" in rows["last error"]

        await kiosk.send_heartbeat()
        beat = stub.requests["heartbeat"][-1]
        assert beat["voice"]["state"] == "error"
        moment = dt.datetime.now(dt.UTC)
        state = assess(
            {"kiosk_id": "lane-1", "site": "hospital-a", "doc": beat, "received_at": moment},
            now=moment,
            config=FleetConfig(),
            expected_version=None,
        )
        assert [a.code for a in state.alerts] == ["VOICE_FAULT"]
        assert beat["voice"]["detail"] in state.alerts[0].cause.en
    finally:
        await rig.http.aclose()
        await kiosk.aclose()
        await sim.aclose()
        await stub.stop()


async def _voice_is(rig: Rig, state: str) -> bool:
    return bool((await rig.status())["voice"]["state"] == state)
