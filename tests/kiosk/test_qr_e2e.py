"""Acceptance, end to end with real processes: elder QR cards issued and revoked with the
verifier's own CLI, printed, "photographed" (turned, scaled down, blurred, JPEG-compressed, on a
cluttered background) into an MJPG video that the kiosk daemon plays as its camera.

1. Online: the holder's verdict on /api/screen, QR_VALID among the reasons; the code is in view
   through many loops of the clip and makes one tap, one event at the verifier.
2. A revoked card (``yzt verifier qr revoke``; the list synced): CHECK QR_REVOKED.
3. The verifier SIGKILLed: another card of the same holder passes from the cache, a card of a
   red-code holder is refused from the risk list.
4. A shared EU test certificate (HC1) shown to the camera, checked against the trust list the
   kiosk synced from the verifier (it has none of its own): its verdict on the screen and one
   event at the verifier with its CERT_ reasons, card type ``hc1`` and no subject.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from dcc_case import trust_json, write_picture
from kiosktools import PEPPER, write_config
from qrcam import held_up, photograph, write_video
from sqlalchemy import Engine, select
from verifier_helpers import serving_process

from kiosk.config import load_config
from kiosk.daemon import KioskDaemon
from kiosk.offline import OfflineState
from kiosk.subject import subject_of
from readers.simulator import DEMO_CARDS, CardDeck, SamSimulator
from verifier.store import open_store
from verifier.store.schema import events, health_codes
from verifier.store.tokens import add_token

Screen = dict[str, Any]


def id_number(card: str) -> str:
    return str(json.loads((DEMO_CARDS / f"{card}.json").read_text())["id_number"])


def yzt_verifier(*args: str, stdin: str = "") -> str:
    """``yzt verifier ARGS`` as an admin runs it; its standard output."""
    done = subprocess.run(
        [sys.executable, "-m", "verifier.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@dataclass
class Rig:
    folder: Path
    config: Path
    engine: Engine
    video: Path
    kiosk: KioskDaemon
    offline: OfflineState
    http: httpx.AsyncClient
    server: subprocess.Popen[bytes]

    def issue(self, holder: str, stem: str) -> tuple[str, Path]:
        """A printed card for the demo card ``holder``'s ID number: its serial and STEM.png."""
        png = self.folder / f"{stem}.png"
        args = ("qr", "issue", "--config", str(self.config), "--out", str(png), "--name", "张三明")
        printed = json.loads(yzt_verifier(*args, stdin=id_number(holder) + "\n"))
        return printed["serial"], png

    def show(self, png: Path) -> None:
        """Hold this card up to the camera (the next loop of the clip shows it)."""
        write_video(self.video, held_up(png))

    async def screen_until(self, wanted: Callable[[Screen], bool], what: str) -> Screen:
        end = time.monotonic() + 60
        while time.monotonic() < end:
            screen: Screen = (await self.http.get("/api/screen")).json()
            if screen["state"] == "result" and wanted(screen):
                return screen
            await asyncio.sleep(0.05)
        raise AssertionError(f"no {what}; the screen shows {screen}")

    async def metric_value(self, name: str) -> float:
        """The kiosk's /metrics sample ``name`` (with its labels), 0 when it is not there."""
        text = (await self.http.get("/metrics")).text
        rows = [row for row in text.splitlines() if row.startswith(name + " ")]
        return float(rows[0].split()[-1]) if rows else 0.0

    def stored_events(self) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(events)))


def prepare_verifier(folder: Path, trust: bytes | None = None) -> tuple[Path, Engine]:
    """Config and pepper (the kiosk's), both key pairs, a green and a red holder; ``trust`` is
    served to kiosks as the verifier's ``[qr] trust_list``."""
    folder.mkdir()
    (folder / "pepper").write_bytes(PEPPER)
    (folder / "pepper").chmod(0o600)
    config = folder / "verifier.toml"
    qr = ""
    if trust is not None:
        (folder / "dcc-trust.json").write_bytes(trust)
        qr = '\n[qr]\ntrust_list = "dcc-trust.json"\n'
    config.write_text(
        f'[store]\nurl = "sqlite:///{folder / "v.db"}"\n\n[privacy]\npepper_file = "pepper"\n{qr}'
    )
    yzt_verifier("keys", "init", "--config", str(config))
    engine = open_store(f"sqlite:///{folder / 'v.db'}")
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        for card, color in (("elder", "green"), ("red", "red")):
            subject = subject_of(PEPPER, id_number(card))
            row = {"subject": subject, "color": color, "reason": "feed", "updated_at": now}
            conn.execute(health_codes.insert().values(**row))
    return config, engine


@asynccontextmanager
async def running(folder: Path, trust: bytes | None = None) -> AsyncIterator[Rig]:
    config, engine = prepare_verifier(folder / "verifier", trust)
    token = add_token(engine, name="lane-1", role="kiosk", kiosk_id="lane-1", site="hospital-a")
    video = folder / "camera.avi"
    sim = SamSimulator(CardDeck.from_dir(DEMO_CARDS))
    sim_port = await sim.serve_tcp("127.0.0.1", 0)
    keys = folder / "verifier"
    with serving_process(config, folder / "verifier.log") as (url, server):
        camera = f'\n[face.camera]\nsource = "{video}"\nfps = 15\n'
        qr = f'\n[qr]\nenabled = true\ncard_key_file = "{keys / "card-signing.pub"}"\n'
        path = write_config(
            folder,
            url,
            f"tcp://127.0.0.1:{sim_port}",
            camera + qr + "scan_fps = 15\n",
            public_key=str(keys / "risklist-signing.pub"),
        )
        (folder / "token").write_text(token)
        (folder / "token").chmod(0o600)
        settings = load_config(path)
        kiosk = KioskDaemon(settings)
        try:
            await kiosk.start()
            offline = kiosk.offline
            assert isinstance(offline, OfflineState)
            await offline.sync_now()
            async with httpx.AsyncClient(base_url=kiosk.screen_url, timeout=5) as http:
                yield Rig(folder, config, engine, video, kiosk, offline, http, server)
        finally:
            await kiosk.aclose()
            await sim.aclose()
            engine.dispose()


def has(reason: str) -> Callable[[Screen], bool]:
    return lambda screen: reason in screen["reasons"]


async def test_printed_cards_through_the_camera_online_revoked_and_offline(tmp_path: Path) -> None:
    async with running(tmp_path) as rig:
        _, first = rig.issue("elder", "first")
        revoked_serial, revoked = rig.issue("elder", "revoked")
        _, again = rig.issue("elder", "again")
        _, red = rig.issue("red", "red")

        rig.show(first)
        online = await rig.screen_until(has("QR_VALID"), "verdict for the first card")
        assert (online["verdict"], online["source"], online["name"]) == ("PASS", "online", None)
        assert online["reasons"][-1] == "QR_VALID"
        end = time.monotonic() + 60
        while await rig.metric_value("yzt_kiosk_qr_frames_total") < 60:
            assert time.monotonic() < end, "the camera stopped giving frames"
            await asyncio.sleep(0.1)  # the card stays in view through several loops of the clip
        taps = 'yzt_kiosk_qr_codes_total{format="yzt",reason="QR_VALID"}'
        assert await rig.metric_value(taps) == 1, "one card held up is one tap"
        end = time.monotonic() + 30
        while not rig.stored_events():
            assert time.monotonic() < end, "the event never reached the verifier"
            await asyncio.sleep(0.1)
        (event,) = rig.stored_events()
        assert event.subject == subject_of(PEPPER, id_number("elder"))
        assert (event.verdict, event.source, event.card_type, event.age_band) == (
            "PASS",
            "online",
            "resident",
            "60+",
        )
        assert "QR_VALID" in event.reasons

        yzt_verifier("qr", "revoke", "--config", str(rig.config), revoked_serial)
        await rig.offline.sync_now()
        rig.show(revoked)
        refused = await rig.screen_until(has("QR_REVOKED"), "refusal of the revoked card")
        assert (refused["verdict"], refused["reasons"], refused["source"]) == (
            "CHECK",
            ["QR_REVOKED"],
            "risklist",
        )

        os.kill(rig.server.pid, signal.SIGKILL)
        rig.server.wait(10)
        rig.show(again)
        cached = await rig.screen_until(
            lambda s: s["source"] == "cache", "offline verdict from the cache"
        )
        assert cached["verdict"] == "PASS" and cached["reasons"][-1] == "QR_VALID"

        rig.show(red)
        listed = await rig.screen_until(
            lambda s: s["source"] == "risklist" and "QR_VALID" in s["reasons"],
            "offline verdict from the risk list",
        )
        assert (listed["verdict"], listed["reasons"]) == ("DENY", ["CODE_RED", "QR_VALID"])


async def test_health_certificate_checked_with_the_synced_trust_list_sends_one_event(
    tmp_path: Path,
) -> None:
    async with running(tmp_path, trust=trust_json()) as rig:
        picture = write_picture(tmp_path / "hc1.png")
        scene = [photograph(None, seed=s) for s in range(6)]
        shown = [
            photograph(picture, seed=200 + s, width=300, angle=2, blur=0.6, quality=90)
            for s in range(24)
        ]
        write_video(rig.video, scene + shown)
        screen = await rig.screen_until(has("CERT_EXPIRED"), "verdict for the certificate")
        # signature valid with the synced list (CERT_UNKNOWN_KEY otherwise); expired by now
        assert (screen["verdict"], screen["reasons"], screen["source"]) == (
            "CHECK",
            ["CERT_EXPIRED"],
            "none",
        )
        end = time.monotonic() + 60
        while await rig.metric_value("yzt_kiosk_qr_frames_total") < 60:
            assert time.monotonic() < end, "the camera stopped giving frames"
            await asyncio.sleep(0.1)  # the code stays in view through several loops of the clip
        await rig.kiosk.uploader.flush()
        assert rig.kiosk.outbox.pending() == 0
        (event,) = rig.stored_events()  # one code held up is one event
        assert (event.verdict, event.reasons, event.source) == ("CHECK", ["CERT_EXPIRED"], "none")
        assert (event.subject, event.card_type, event.age_band) == (None, "hc1", "unknown")
