"""The camera grabber on real files read through cv2.VideoCapture: frames flow, a replay
restarts at its end, a lost source is reported and reopened, a missing device is lost."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from facekit import write_video

from kiosk.face.camera import Camera, source_is_device
from kiosk.face.config import CameraConfig

FRAMES = 8


def _config(source: Path | str, **changes: float) -> CameraConfig:
    timings = {"fps": 40.0, "reopen_backoff_s": 0.05, "reopen_backoff_max_s": 0.2}
    return CameraConfig(source=str(source), **{**timings, **changes})


def _wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def _frames() -> list[np.ndarray]:
    return [np.full((120, 160, 3), 20 * i, np.uint8) for i in range(FRAMES)]


@pytest.fixture
def video(tmp_path: Path) -> Path:
    return write_video(tmp_path / "lane.avi", _frames())


@pytest.fixture
def camera(video: Path) -> Iterator[Camera]:
    cam = Camera(_config(video))
    cam.start()
    yield cam
    cam.close()


def test_frames_from_a_video_file_keep_coming_as_a_replay(camera: Camera) -> None:
    assert _wait_for(lambda: camera.latest_frame() is not None)
    first = camera.latest_frame()
    assert first is not None and first.image.shape == (120, 160, 3)
    assert _wait_for(lambda: (f := camera.latest_frame()) is not None and f.seq > 2 * FRAMES)
    assert camera.status() == {"state": "ok", "detail": None, "reopens": 0}


def test_a_removed_file_is_a_lost_camera_that_comes_back(camera: Camera, video: Path) -> None:
    assert _wait_for(lambda: camera.status()["state"] == "ok")
    moved = video.rename(video.with_suffix(".bak"))
    assert _wait_for(lambda: camera.status()["state"] == "lost")
    assert camera.latest_frame() is None
    assert camera.status()["detail"] == f"cannot open {video}"
    moved.rename(video)
    assert _wait_for(lambda: camera.status()["state"] == "ok")
    status = camera.status()
    assert isinstance(status["reopens"], int) and status["reopens"] >= 1
    assert camera.latest_frame() is not None


def test_a_device_that_is_not_there_is_lost_not_a_crash() -> None:
    cam = Camera(_config("/dev/video99", open_timeout_s=1))
    cam.start()
    try:
        assert _wait_for(lambda: cam.status()["detail"] == "cannot open camera /dev/video99")
        assert cam.status()["state"] == "lost" and cam.latest_frame() is None
    finally:
        cam.close()
    assert cam.status()["state"] == "off"


def test_a_stream_that_does_not_answer_is_lost_without_its_password() -> None:
    cam = Camera(_config("rtsp://admin:s3cret@127.0.0.1:9/lane", open_timeout_s=1))
    cam.start()
    try:
        assert _wait_for(
            lambda: cam.status()["detail"] is not None and cam.status()["detail"] != "opening"
        )
        assert cam.status()["detail"] == "cannot open rtsp://127.0.0.1:9/lane"
    finally:
        cam.close()


def test_a_still_image_file_is_a_camera_too(tmp_path: Path) -> None:
    still = tmp_path / "still.png"
    cv2.imwrite(str(still), np.full((48, 64, 3), 77, np.uint8))
    cam = Camera(_config(still))
    cam.start()
    try:
        assert _wait_for(lambda: (f := cam.latest_frame()) is not None and f.seq > 3)
        frame = cam.latest_frame()
        assert frame is not None and int(frame.image[0, 0, 0]) == 77
    finally:
        cam.close()


def test_a_closed_camera_is_off() -> None:
    cam = Camera(_config("0"))
    assert cam.status()["state"] == "off"
    assert cam.latest_frame() is None


@pytest.mark.parametrize(
    ("source", "device"),
    [("0", True), ("/dev/video2", True), ("rtsp://u:p@cam/stream", False), ("a.mp4", False)],
)
def test_which_sources_are_devices(source: str, device: bool) -> None:
    assert source_is_device(source) is device
