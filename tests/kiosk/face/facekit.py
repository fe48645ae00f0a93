"""Helpers for the face tests: real photos framed like a kiosk camera, card-like photos, videos,
cards, and small ONNX networks with SFace's shapes.

Photos and the YuNet model are read from ../shared in place, never copied into the project.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import shutil
from pathlib import Path

import cv2
import numpy as np
import onnx
import pytest
from conftest import in_ci
from onnx import TensorProto, helper

from kiosk.face.config import FaceConfig
from kiosk.face.engines import FaceEngine
from kiosk.face.images import card_like, read_image
from readers import CardType, Gender, IdCard, Photo

FRAME_SIZE = (640, 480)
ID_NUMBER = "11010519491231002X"


def require_dlib() -> None:
    """Skip a module without dlib on a developer's machine; in CI that is a failure."""
    if importlib.util.find_spec("dlib") is None:
        message = "dlib-bin is not installed: pip install -e '.[test,face-dlib]'"
        if in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message, allow_module_level=True)


def require_gcc() -> None:
    """The WLT decoder tests compile a small C library; CI has gcc (Makefile DEB_PACKAGES)."""
    if shutil.which("gcc") is None:
        if in_ci():
            pytest.fail("gcc is not installed (Debian package gcc)", pytrace=False)
        pytest.skip("gcc is not installed (Debian package gcc)")


def faces_dir(shared: Path) -> Path:
    return shared / "testdata" / "faces"


def dlib_config(shared: Path, **changes: object) -> FaceConfig:
    """The dlib engine on the shared YuNet file (SFace weights are not available here)."""
    body: dict[str, object] = {"engine": "dlib", "models": {"dir": str(shared / "models")}}
    return FaceConfig.model_validate({**body, **changes})


def kiosk_frame(engine: FaceEngine, image: np.ndarray, face_px: int = 180) -> np.ndarray:
    """A 640×480 frame with the photo's largest face centred and ``face_px`` wide."""
    face = max(engine.detect(image), key=lambda f: f.w)
    scale = face_px / face.w
    resized = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    width, height = FRAME_SIZE
    ox = width // 2 - int((face.x + face.w / 2) * scale)
    oy = height // 2 - int((face.y + face.h / 2) * scale)
    frame = np.zeros((height, width, 3), np.uint8)
    x0, y0 = max(ox, 0), max(oy, 0)
    x1, y1 = min(ox + resized.shape[1], width), min(oy + resized.shape[0], height)
    frame[y0:y1, x0:x1] = resized[y0 - oy : y1 - oy, x0 - ox : x1 - ox]
    return frame


def card_jpeg(engine: FaceEngine, path: Path) -> bytes:
    """The photo at ``path`` as a card holds it: 102×126, about 1.3 KB of JPEG."""
    image = read_image(path)
    return card_like(image, max(engine.detect(image), key=lambda f: f.w))


def write_video(path: Path, frames: list[np.ndarray], fps: float = 20.0) -> Path:
    """An MJPG AVI of ``frames``, the kind of file a replayed camera reads."""
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (width, height))
    assert writer.isOpened(), "OpenCV cannot write MJPG AVI here"
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def make_card(photo: Photo | None) -> IdCard:
    return IdCard(
        card_type=CardType.RESIDENT,
        name="张三",
        gender=Gender.MALE,
        birth_date=dt.date(1949, 12, 31),
        id_number=ID_NUMBER,
        valid_from=dt.date(2020, 1, 1),
        valid_until=None,
        photo=photo,
    )


def sface_like_onnx(path: Path, features: int = 128) -> Path:
    """A tiny network with SFace's input (1×3×112×112) and ``features`` outputs per face."""
    weights = np.linspace(-1, 1, 3 * features, dtype=np.float32).reshape(3, features)
    graph = helper.make_graph(
        [
            helper.make_node("GlobalAveragePool", ["data"], ["pooled"]),
            helper.make_node("Flatten", ["pooled"], ["flat"]),
            helper.make_node("MatMul", ["flat", "w"], ["fc1"]),
        ],
        "sface_like",
        [helper.make_tensor_value_info("data", TensorProto.FLOAT, [1, 3, 112, 112])],
        [helper.make_tensor_value_info("fc1", TensorProto.FLOAT, [1, features])],
        [helper.make_tensor("w", TensorProto.FLOAT, weights.shape, weights.flatten())],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path
