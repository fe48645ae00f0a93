"""The live camera: a grabber thread keeps only the newest frame and reopens a lost camera.

Sources: a device index (``0``), a V4L2 path (``/dev/video0``), an ``rtsp://`` / ``http://`` URL,
or a video or image file. Files are replays: read at ``fps`` and started again at their end, so a
file that disappears behaves like an unplugged camera. A source that fails to open or to give a
frame is ``lost``; the thread reopens it with doubling back-off and reports ``ok`` once frames flow.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from typing import Literal
from urllib.parse import urlsplit

import cv2

from kiosk.face.config import CameraConfig
from kiosk.face.engines.base import Image
from readers.backoff import Backoff

CameraState = Literal["ok", "lost", "off"]


@dataclasses.dataclass(frozen=True, slots=True)
class Frame:
    """One grabbed frame; ``seq`` grows by one per frame, ``at`` is ``time.monotonic()``."""

    image: Image
    seq: int
    at: float


def _is_url(source: str) -> bool:
    return "://" in source


class Camera:
    """Owns one ``cv2.VideoCapture`` on its own thread; the other threads only read frames."""

    def __init__(self, config: CameraConfig) -> None:
        self._config = config
        self._is_file = not (source_is_device(config.source) or _is_url(config.source))
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._frame: Frame | None = None
        self._state: CameraState = "off"
        self._detail: str | None = None
        self._reopens = 0

    def start(self) -> None:
        """Start grabbing; never raises for a missing camera, it is reported as ``lost``."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._set_state("lost", "opening")
        self._thread = threading.Thread(target=self._run, name="face-camera", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self._config.read_timeout_s + 1)
            self._thread = None
        with self._lock:
            self._state, self._detail, self._frame = "off", None, None

    def latest_frame(self) -> Frame | None:
        """The newest frame, or ``None`` when the camera is lost or its last frame is stale."""
        with self._lock:
            frame = self._frame if self._state == "ok" else None
        if frame is None or time.monotonic() - frame.at > self._config.stale_after_s:
            return None
        return frame

    def status(self) -> dict[str, object]:
        """``state`` ok / lost / off, why it is lost, how many times it was reopened."""
        with self._lock:
            state, detail = self._state, self._detail
        if state == "ok" and self.latest_frame() is None:
            state, detail = "lost", "no new frame"
        return {"state": state, "detail": detail, "reopens": self._reopens}

    def _set_state(self, state: CameraState, detail: str | None) -> None:
        with self._lock:
            self._state, self._detail = state, detail

    def _run(self) -> None:
        backoff = Backoff(self._config.reopen_backoff_s, cap=self._config.reopen_backoff_max_s)
        while not self._stop.is_set():
            capture = self._open()
            if capture is None:
                self._set_state("lost", f"cannot open {self._describe()}")
            else:
                grabbed = self._grab(capture)
                capture.release()
                if grabbed:
                    backoff.reset()
                if grabbed and self._is_file:
                    continue
                self._set_state("lost", f"{self._describe()} stopped giving frames")
            self._stop.wait(backoff.next())
            self._reopens += 1

    def _open(self) -> cv2.VideoCapture | None:
        source = self._config.source
        params = [
            cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, int(self._config.open_timeout_s * 1000),
            cv2.CAP_PROP_READ_TIMEOUT_MSEC, int(self._config.read_timeout_s * 1000),
        ]  # fmt: skip
        if source_is_device(source):
            target: int | str = int(source) if source.isdigit() else source
            capture = cv2.VideoCapture(target, cv2.CAP_V4L2, params)
        elif _is_url(source):
            capture = cv2.VideoCapture(source, cv2.CAP_FFMPEG, params)
        else:
            capture = cv2.VideoCapture(source)
        if capture.isOpened():
            return capture
        capture.release()
        return None

    def _grab(self, capture: cv2.VideoCapture) -> bool:
        """Read frames until the source ends or fails; ``True`` when at least one came."""
        period = 1 / self._config.fps if self._is_file else 0.0
        grabbed = False
        while not self._stop.is_set():
            ok, image = capture.read()
            if not ok or image is None:
                return grabbed
            with self._lock:
                seq = self._frame.seq + 1 if self._frame is not None else 1
                self._frame = Frame(image, seq, time.monotonic())
                self._state, self._detail = "ok", None
            grabbed = True
            if period:
                self._stop.wait(period)
        return grabbed

    def _describe(self) -> str:
        """The source for status and logs, without any password in a stream URL."""
        source = self._config.source
        if source_is_device(source):
            return f"camera {source}"
        if _is_url(source):
            url = urlsplit(source)
            return url._replace(netloc=url.netloc.rpartition("@")[2]).geturl()
        return source


def source_is_device(source: str) -> bool:
    """A device index or a ``/dev/`` path, opened with V4L2."""
    return source.isdigit() or source.startswith("/dev/")
