"""The camera loop: photographed cards in a real video file played through the kiosk's camera,
decoded while idle, and one code held up for a long time handled once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from qrcam import held_up, printed_card, write_video

from kiosk.face.camera import Camera
from kiosk.face.config import CameraConfig
from kiosk.qr.scanner import Debouncer, QrScanner

KEY = Ed25519PrivateKey.generate()
PEPPER = b"s" * 40


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_code_held_up_is_one_tap_until_it_is_gone_for_the_pause() -> None:
    clock = FakeClock()
    debouncer = Debouncer(10.0, clock)
    seen = []
    for _ in range(600):  # a minute of sightings every 0.1 s
        seen.append(debouncer.is_new("YZT1:A"))
        clock.now += 0.1
    assert seen.count(True) == 1 and seen[0]
    assert debouncer.is_new("YZT1:B"), "another card is handled at once"
    clock.now += 5.0
    assert not debouncer.is_new("YZT1:A"), "taken away for 5 s: still the same tap"
    clock.now += 10.0
    assert debouncer.is_new("YZT1:A"), "shown again after a pause of 10 s: a new tap"


@asynccontextmanager
async def scanning(
    video: Path, idle: Callable[[], bool] = lambda: True
) -> AsyncIterator[tuple[QrScanner, list[str], Camera]]:
    camera = Camera(CameraConfig(source=str(video), fps=15))
    camera.start()
    handled: list[str] = []

    async def on_code(text: str) -> None:
        handled.append(text)

    scanner = QrScanner(camera, scan_fps=15, repeat_after_s=10, on_code=on_code, idle=idle)
    task = asyncio.create_task(scanner.run())
    try:
        yield scanner, handled, camera
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await asyncio.to_thread(camera.close)


async def until(condition: Callable[[], bool], what: str, timeout_s: float = 60) -> None:
    end = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < end, f"no {what}"
        await asyncio.sleep(0.05)


async def test_a_photographed_card_replayed_many_times_is_one_tap(tmp_path: Path) -> None:
    card, png = printed_card(tmp_path, KEY, PEPPER, "11010519491231002X")
    video = tmp_path / "camera.avi"
    write_video(video, held_up(png))
    async with scanning(video) as (scanner, handled, _camera):
        await until(lambda: scanner.sightings >= 40, "40 sightings (several loops of the clip)")
        assert handled == [card.token]
        assert scanner.taps == 1


async def test_two_cards_one_after_the_other_are_two_taps(tmp_path: Path) -> None:
    first, first_png = printed_card(tmp_path, KEY, PEPPER, "11010519491231002X")
    second, second_png = printed_card(tmp_path, KEY, PEPPER, "11010519491231002X")
    video = tmp_path / "camera.avi"
    write_video(video, held_up(first_png) + held_up(second_png, empty=2))
    async with scanning(video) as (_scanner, handled, _camera):
        await until(lambda: len(handled) >= 2, "a tap for each card")
        assert handled[:2] == [first.token, second.token]


async def test_nothing_is_decoded_while_a_tap_is_running(tmp_path: Path) -> None:
    _card, png = printed_card(tmp_path, KEY, PEPPER, "11010519491231002X")
    video = tmp_path / "camera.avi"
    write_video(video, held_up(png, empty=0))
    async with scanning(video, idle=lambda: False) as (scanner, handled, camera):
        await until(lambda: frames_grabbed(camera) > 30, "30 camera frames")
        assert (scanner.frames, handled) == (0, [])


def frames_grabbed(camera: Camera) -> int:
    frame = camera.latest_frame()
    return 0 if frame is None else frame.seq
