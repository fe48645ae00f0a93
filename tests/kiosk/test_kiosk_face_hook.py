"""kiosk/face_hook.py in the running daemon: the person check makes a PASS stricter.

Real parts: the SAM simulator, a real HTTP verifier answering PASS, the dlib engine on the
shared YuNet model and a camera "watching" an empty scene (a still image file).
"""

from __future__ import annotations

import asyncio
import importlib.util
import time
from collections.abc import AsyncIterator
from pathlib import Path

import cv2
import httpx
import numpy as np
import pytest
from conftest import in_ci
from kiosktools import StubVerifier, write_config

from kiosk.config import load_config
from kiosk.daemon import KioskDaemon
from kiosk.demo.catalog import CARDS_DIR
from readers.simulator import CardDeck, SamSimulator

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
    sim = SamSimulator(CardDeck.from_dir(CARDS_DIR))
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
