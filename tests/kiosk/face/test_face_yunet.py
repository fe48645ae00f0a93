"""YuNet on real photos (the shared model file): no face, one face, two faces; broken files."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from kiosk.face.config import FaceConfig
from kiosk.face.engines import build_engine
from kiosk.face.engines.yunet import YunetDetector
from kiosk.face.errors import FaceSetupError
from kiosk.face.images import read_image


@pytest.fixture(scope="module")
def detector(shared_dir: Path) -> YunetDetector:
    model = shared_dir / "models" / "face_detection_yunet_2023mar.onnx"
    return YunetDetector(model.read_bytes(), min_score=0.8)


def test_one_face_with_box_and_landmarks(detector: YunetDetector, shared_dir: Path) -> None:
    image = read_image(shared_dir / "testdata" / "faces" / "obama.jpg")
    (face,) = detector.detect(image)
    assert face.score > 0.8 and face.size > 150
    eyes = face.row[4:8]
    assert face.x < eyes[0] < face.x + face.w and face.y < eyes[1] < face.y + face.h


def test_two_people_give_two_faces(detector: YunetDetector, shared_dir: Path) -> None:
    image = read_image(shared_dir / "testdata" / "faces" / "two_people.jpg")
    assert len(detector.detect(image)) == 2


def test_an_empty_scene_has_no_face(detector: YunetDetector) -> None:
    rng = np.random.default_rng(7)
    scene = rng.integers(0, 255, (480, 640, 3), dtype=np.uint8)
    assert detector.detect(scene) == []


def test_a_file_that_is_not_a_network_fails_at_start(tmp_path: Path) -> None:
    junk = tmp_path / "face_detection_yunet_2023mar.onnx"
    junk.write_bytes(b"not onnx at all")
    config = FaceConfig.model_validate(
        {
            "engine": "dlib",
            "models": {
                "dir": str(tmp_path),
                "yunet_sha256": hashlib.sha256(b"not onnx at all").hexdigest(),
            },
        }
    )
    with pytest.raises(
        FaceSetupError, match=r"face\.models\.yunet: OpenCV cannot load it: "
    ) as err:
        build_engine(config)
    assert "\n" not in str(err.value) and ".cpp" not in str(err.value)


def test_the_wrong_yunet_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "face_detection_yunet_2023mar.onnx").write_bytes(b"x" * 100)
    config = FaceConfig.model_validate({"models": {"dir": str(tmp_path)}})
    with pytest.raises(FaceSetupError, match=r"face\.models\.yunet: .* has sha256 "):
        build_engine(config)
