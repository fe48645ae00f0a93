"""The person check end to end: a camera replaying a video made here, a card photo as the
reader gives it, the dlib engine on real faces — and the camera or decoder going missing."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import numpy as np
import pytest
from facekit import (
    ID_NUMBER,
    card_jpeg,
    dlib_config,
    faces_dir,
    kiosk_frame,
    make_card,
    require_dlib,
    write_video,
)

from kiosk.face.camera import Camera
from kiosk.face.checker import PersonCheck, PersonChecker
from kiosk.face.config import FaceConfig
from kiosk.face.engines import FaceEngine, build_engine
from kiosk.face.errors import FaceSetupError
from kiosk.face.images import read_image
from kiosk.face.photo import NO_DECODER, CardPhotos
from readers import IdCard, Photo

require_dlib()

CAMERA = {"fps": 25, "reopen_backoff_s": 0.05, "reopen_backoff_max_s": 0.2}


@pytest.fixture(scope="module")
def engine(shared_dir: Path) -> FaceEngine:
    return build_engine(dlib_config(shared_dir))


@pytest.fixture(scope="module")
def biden_card(engine: FaceEngine, shared_dir: Path) -> IdCard:
    jpeg = card_jpeg(engine, faces_dir(shared_dir) / "biden_biden2.jpg")
    return make_card(Photo(wlt=bytes(1024), image=jpeg, image_format="jpeg"))


def _frame(engine: FaceEngine, shared: Path, name: str, face_px: int = 180) -> np.ndarray:
    return kiosk_frame(engine, read_image(faces_dir(shared) / name), face_px)


Checker = Callable[[np.ndarray], PersonChecker]


@pytest.fixture
async def checker_on(
    engine: FaceEngine, shared_dir: Path, tmp_path: Path
) -> AsyncIterator[Checker]:
    """Builds a started checker whose camera replays a video of ``frame``."""
    made: list[PersonChecker] = []

    def build(frame: np.ndarray) -> PersonChecker:
        video = write_video(tmp_path / "camera.avi", [frame] * 6)
        config = dlib_config(shared_dir, enabled=True, camera={"source": str(video), **CAMERA})
        checker = PersonChecker(config, engine, CardPhotos(None), Camera(config.camera))
        made.append(checker)
        return checker

    yield build
    for checker in made:
        await checker.aclose()


async def test_the_card_owner_in_front_of_the_camera_matches(
    checker_on: Checker, engine: FaceEngine, shared_dir: Path, biden_card: IdCard
) -> None:
    checker = checker_on(_frame(engine, shared_dir, "biden.jpg"))
    await checker.start()
    result = await checker.check(biden_card)
    assert (result.outcome, result.reasons) == ("ok", ("FACE_MATCH",))
    assert result.score is not None and result.score >= 0.4
    assert {"photo", "detect", "embed", "compare", "total"} <= set(result.ms)
    assert result.to_json() == {"outcome": "ok", "reasons": ["FACE_MATCH"]}
    status = checker.status()
    assert (status["camera"], status["engine"]) == ("ok", "dlib")


async def test_someone_else_with_the_card_is_a_mismatch(
    checker_on: Checker, engine: FaceEngine, shared_dir: Path, biden_card: IdCard
) -> None:
    checker = checker_on(_frame(engine, shared_dir, "obama.jpg"))
    await checker.start()
    result = await checker.check(biden_card)
    assert (result.outcome, result.reasons) == ("fail", ("FACE_MISMATCH",))


async def test_nobody_in_view_is_face_not_found(
    checker_on: Checker, shared_dir: Path, biden_card: IdCard
) -> None:
    checker = checker_on(np.full((480, 640, 3), 70, np.uint8))
    await checker.start()
    result = await checker.check(biden_card)
    assert (result.outcome, result.reasons, result.detail) == (
        "warn",
        ("FACE_NOT_FOUND",),
        "no face in view",
    )


async def test_a_caller_deadline_ends_the_search_with_face_not_found(
    engine: FaceEngine, shared_dir: Path, tmp_path: Path, biden_card: IdCard
) -> None:
    video = write_video(tmp_path / "empty.avi", [np.full((480, 640, 3), 70, np.uint8)] * 6)
    config = dlib_config(
        shared_dir, enabled=True, search_s=8, camera={"source": str(video), **CAMERA}
    )
    checker = PersonChecker(config, engine, CardPhotos(None), Camera(config.camera))
    await checker.start()
    try:
        async with asyncio.timeout(4):  # far beyond the deadline, far below search_s
            result = await checker.check(biden_card, deadline=time.monotonic() + 0.5)
    finally:
        await checker.aclose()
    assert result.reasons == ("FACE_NOT_FOUND",)


async def test_two_people_at_the_kiosk_is_face_multiple(
    checker_on: Checker, engine: FaceEngine, shared_dir: Path, biden_card: IdCard
) -> None:
    left = _frame(engine, shared_dir, "biden.jpg", 140)[:, 160:480]
    right = _frame(engine, shared_dir, "obama.jpg", 140)[:, 160:480]
    checker = checker_on(np.hstack([left, right]))
    await checker.start()
    result = await checker.check(biden_card)
    assert (result.outcome, result.reasons) == ("warn", ("FACE_MULTIPLE",))


async def test_a_lost_camera_is_unavailable_then_recovers(
    checker_on: Checker, engine: FaceEngine, shared_dir: Path, biden_card: IdCard, tmp_path: Path
) -> None:
    checker = checker_on(_frame(engine, shared_dir, "biden.jpg"))
    await checker.start()
    assert (await checker.check(biden_card)).outcome == "ok"
    video = tmp_path / "camera.avi"
    hidden = video.rename(tmp_path / "unplugged.avi")
    result = await _until(checker, biden_card, lambda r: r.reasons == ("FACE_UNAVAILABLE",))
    assert result.outcome == "unknown" and result.detail == f"camera: cannot open {video}"
    status = checker.status()
    assert status["camera"] == "lost" and status["unavailable_reason"] == result.detail
    hidden.rename(video)
    recovered = await _until(checker, biden_card, lambda r: r.outcome == "ok")
    assert recovered.reasons == ("FACE_MATCH",)
    assert checker.status()["unavailable_reason"] == NO_DECODER_STATUS


NO_DECODER_STATUS = (
    "no WLT decoder configured (face.photo.decoder_library): "
    "cards whose reader gives no decoded photo get FACE_UNAVAILABLE"
)


async def _until(checker: PersonChecker, card: IdCard, wanted: Callable) -> PersonCheck:
    """Checks again until ``wanted`` holds (the camera reopens in the background), ≤ 10 s."""
    deadline = time.monotonic() + 10
    result = await checker.check(card)
    while not wanted(result) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        result = await checker.check(card)
    assert wanted(result), f"never got the wanted result; last {result}"
    return result


async def test_a_wlt_only_card_without_a_decoder_is_unavailable_and_status_says_why(
    checker_on: Checker, engine: FaceEngine, shared_dir: Path
) -> None:
    checker = checker_on(_frame(engine, shared_dir, "biden.jpg"))
    await checker.start()
    result = await checker.check(make_card(Photo(wlt=bytes(1024))))
    assert (result.outcome, result.reasons, result.detail) == (
        "unknown",
        ("FACE_UNAVAILABLE",),
        NO_DECODER,
    )
    assert checker.status()["unavailable_reason"] == NO_DECODER


async def test_nothing_says_the_id_number(
    checker_on: Checker,
    engine: FaceEngine,
    shared_dir: Path,
    biden_card: IdCard,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    checker = checker_on(_frame(engine, shared_dir, "obama.jpg"))
    await checker.start()
    broken = make_card(Photo(wlt=bytes(1024), image=b"\x89PNG broken", image_format="png"))
    results = [await checker.check(card) for card in (biden_card, broken)]
    said = json.dumps([checker.status(), *[r.__repr__() for r in results]]) + caplog.text
    assert ID_NUMBER not in said and ID_NUMBER[:6] + "1949" not in said


async def test_disabled_is_skipped_without_touching_models_or_camera() -> None:
    checker = PersonChecker.from_config(FaceConfig(models={"dir": "/nonexistent"}))
    await checker.start()
    result = await checker.check(make_card(None))
    assert (result.outcome, result.reasons) == ("unknown", ("FACE_SKIPPED",))
    assert checker.status()["camera"] == "off"
    await checker.aclose()


def test_enabled_without_model_files_fails_at_start_with_a_plain_message(tmp_path: Path) -> None:
    config = FaceConfig(enabled=True, models={"dir": str(tmp_path)})
    with pytest.raises(FaceSetupError, match=r"^face\.models\.yunet: model file .* not found"):
        PersonChecker.from_config(config)


async def test_from_config_builds_a_working_checker(
    shared_dir: Path, tmp_path: Path, engine: FaceEngine, biden_card: IdCard
) -> None:
    video = write_video(tmp_path / "cam.avi", [_frame(engine, shared_dir, "biden.jpg")] * 4)
    config = dlib_config(shared_dir, enabled=True, camera={"source": str(video), **CAMERA})
    checker = PersonChecker.from_config(config)
    await checker.start()
    try:
        assert (await checker.check(biden_card)).reasons == ("FACE_MATCH",)
    finally:
        await checker.aclose()
    assert checker.status()["camera"] == "off"
