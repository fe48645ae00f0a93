"""kiosk/face_hook.py in the running daemon: the person check makes a PASS stricter.

Real parts: the SAM simulator, a real HTTP verifier answering PASS, the dlib engine on the
shared YuNet model and a camera "watching" an empty scene (a still image file). A stuck engine
is the real dlib engine whose detector waits for the test to let it go.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib.util
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import cv2
import httpx
import numpy as np
import pytest
from conftest import in_ci
from kiosktools import PEPPER, StubVerifier, write_config

from kiosk.config import load_config
from kiosk.daemon import KioskDaemon
from kiosk.decision import NoOfflineData
from kiosk.face.camera import Camera
from kiosk.face.checker import PersonChecker
from kiosk.face.config import FaceConfig
from kiosk.face.engines import FaceEngine, build_engine
from kiosk.face.engines.base import Face, Image
from kiosk.face.photo import CardPhotos
from kiosk.face_hook import FaceHook
from kiosk.tap import TapPipeline
from kiosk.verifier_client import VerifierClient
from readers import CardType, Gender, IdCard, Photo
from readers.simulator import DEMO_CARDS, CardDeck, SamSimulator

if importlib.util.find_spec("dlib") is None:
    if in_ci():
        pytest.fail("dlib-bin is not installed: pip install -e '.[test,face-dlib]'", pytrace=False)
    pytest.skip("dlib-bin is not installed (extra face-dlib)", allow_module_level=True)


@pytest.fixture
async def kiosk(
    tmp_path: Path, shared_dir: Path
) -> AsyncIterator[tuple[KioskDaemon, SamSimulator]]:
    empty_scene = tmp_path / "scene.png"
    cv2.imwrite(str(empty_scene), np.full((480, 640, 3), 70, np.uint8))
    stub = await StubVerifier().start()
    sim = SamSimulator(CardDeck.from_dir(DEMO_CARDS))
    port = await sim.serve_tcp("127.0.0.1", 0)
    face = f"""
[face]
enabled = true
engine = "dlib"
search_s = 0.3
models = {{ dir = "{shared_dir / "models"}" }}
camera = {{ source = "{empty_scene}" }}
"""
    config = load_config(write_config(tmp_path, stub.url, f"tcp://127.0.0.1:{port}", face))
    daemon = KioskDaemon(config)
    await daemon.start()
    yield daemon, sim
    await daemon.aclose()
    await sim.aclose()
    await stub.stop()


async def test_no_usable_face_turns_the_verifiers_pass_into_check(
    kiosk: tuple[KioskDaemon, SamSimulator],
) -> None:
    daemon, sim = kiosk
    sim.insert("green")
    async with httpx.AsyncClient(base_url=daemon.screen_url) as http:
        end = time.monotonic() + 10
        while (screen := (await http.get("/api/screen")).json())["state"] != "result":
            assert time.monotonic() < end, "no result"
            await asyncio.sleep(0.05)
        status = (await http.get("/api/status")).json()
    assert screen["verdict"] == "CHECK"
    assert screen["reasons"][0].startswith("FACE_")
    assert "CODE_GREEN" in screen["reasons"]
    assert status["camera"] != {"state": "off"}


class StuckDetector:
    """Wraps a real detector; each call waits until the test releases it (a hung engine)."""

    def __init__(self, engine: FaceEngine) -> None:
        self.real = engine
        self.entered = threading.Event()
        self.release = threading.Event()

    def detect(self, image: Image) -> list[Face]:
        self.entered.set()
        self.release.wait()
        return self.real.detect(image)


def _card_with_photo() -> IdCard:
    ok, jpeg = cv2.imencode(".jpg", np.full((126, 102, 3), 200, np.uint8))
    assert ok
    return IdCard(
        card_type=CardType.RESIDENT,
        name="张三",
        gender=Gender.MALE,
        birth_date=dt.date(1949, 12, 31),
        id_number="11010519491231002X",
        valid_from=dt.date(2020, 1, 1),
        valid_until=None,
        photo=Photo(wlt=b"", image=jpeg.tobytes(), image_format="jpeg"),
    )


async def test_a_hung_face_engine_still_gives_a_verdict_by_the_deadline(
    tmp_path: Path, shared_dir: Path
) -> None:
    scene = tmp_path / "scene.png"
    cv2.imwrite(str(scene), np.full((480, 640, 3), 70, np.uint8))
    config = FaceConfig.model_validate(
        {
            "enabled": True,
            "engine": "dlib",
            "search_s": 2.0,
            "models": {"dir": str(shared_dir / "models")},
            "camera": {"source": str(scene)},
        }
    )
    real = build_engine(config)
    stuck = StuckDetector(real)
    engine = FaceEngine(real.name, stuck, real)  # the real engine recognizes
    camera = Camera(config.camera)
    hook = FaceHook(
        config, PersonChecker(config, engine, CardPhotos.from_config(config.photo), camera)
    )
    stub = await StubVerifier().start()
    client = VerifierClient(stub.url, "kiosk-token")
    pipeline = TapPipeline(
        site="hospital-a",
        pepper=PEPPER,
        client=client,
        offline=NoOfflineData(),
        deadline_s=0.6,
        person=hook,
    )
    await hook.start()
    try:
        while camera.latest_frame() is None:  # readiness, not a timing assertion
            await asyncio.sleep(0.02)
        # Generous: far past the deadline, yet the engine stays stuck until released below.
        first = await asyncio.wait_for(pipeline.decide(_card_with_photo()), timeout=10)
        second = await asyncio.wait_for(pipeline.decide(_card_with_photo()), timeout=10)
    finally:
        stuck.release.set()
        await hook.aclose()
        await client.aclose()
        await stub.stop()
    assert stuck.entered.is_set(), "the check never reached the engine"
    for tap in (first, second):
        assert tap.decision.verdict == "CHECK"
        assert tap.decision.reasons[0] == "FACE_UNAVAILABLE"
        assert "CODE_GREEN" in tap.decision.reasons
