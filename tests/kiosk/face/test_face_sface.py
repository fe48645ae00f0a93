"""SFace loading and its error paths, on small networks with SFace's shapes built here
(the real SFace weights are not available on this machine)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from facekit import sface_like_onnx

from kiosk.face.config import FaceConfig
from kiosk.face.engines import build_engine
from kiosk.face.engines.sface import SfaceRecognizer
from kiosk.face.errors import FaceSetupError
from kiosk.face.images import read_image

YUNET = "face_detection_yunet_2023mar.onnx"
SFACE = "face_recognition_sface_2021dec.onnx"


def _models(shared_dir: Path, tmp_path: Path, features: int = 128) -> FaceConfig:
    """A models folder with the shared YuNet (linked, not copied) and an SFace-shaped network."""
    (tmp_path / YUNET).symlink_to(shared_dir / "models" / YUNET)
    sface = sface_like_onnx(tmp_path / SFACE, features)
    digest = hashlib.sha256(sface.read_bytes()).hexdigest()
    return FaceConfig.model_validate({"models": {"dir": str(tmp_path), "sface_sha256": digest}})


def test_opencv_engine_embeds_a_real_face(shared_dir: Path, tmp_path: Path) -> None:
    engine = build_engine(_models(shared_dir, tmp_path))
    image = read_image(shared_dir / "testdata" / "faces" / "obama.jpg")
    (face,) = engine.detect(image)
    embedding = engine.embed(image, face)
    assert embedding.shape == (1, 128) and np.isfinite(embedding).all()
    assert engine.name == "opencv"
    assert engine.similarity(embedding, embedding) == pytest.approx(1.0)


def test_a_network_with_the_wrong_output_size_fails_at_start(
    shared_dir: Path, tmp_path: Path
) -> None:
    with pytest.raises(FaceSetupError, match="gives 64 numbers per face, expected 128"):
        build_engine(_models(shared_dir, tmp_path, features=64))


def test_missing_sface_file_names_the_key_and_the_model_step(
    shared_dir: Path, tmp_path: Path
) -> None:
    config = _models(shared_dir, tmp_path)
    (tmp_path / SFACE).unlink()
    with pytest.raises(
        FaceSetupError, match=r"face.models.sface: model file .* not found; `yzt face check-models`"
    ):
        build_engine(config)


def test_the_default_hash_refuses_a_stand_in(shared_dir: Path, tmp_path: Path) -> None:
    (tmp_path / YUNET).symlink_to(shared_dir / "models" / YUNET)
    sface_like_onnx(tmp_path / SFACE)
    config = FaceConfig.model_validate({"models": {"dir": str(tmp_path)}})
    with pytest.raises(FaceSetupError, match="expected 0ba9fbfa"):
        build_engine(config)


def test_bytes_that_are_not_onnx_are_a_plain_error(tmp_path: Path) -> None:
    with pytest.raises(
        FaceSetupError, match=r"^face\.models\.sface: OpenCV cannot load it: Failed"
    ):
        SfaceRecognizer(b"\x00" * 64)
