"""Face engines behind one interface; ``build_engine`` picks one by the config's ``engine``.

``opencv``: YuNet + SFace model files, both checked by SHA-256. ``dlib``: YuNet + dlib's ResNet
descriptor from the ``face-recognition-models`` wheel.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from kiosk.face.config import FaceConfig
from kiosk.face.engines.base import Embedding, Face, FaceEngine, Image
from kiosk.face.engines.modelfile import read_verified
from kiosk.face.engines.yunet import YunetDetector

__all__ = [
    "Embedding",
    "Face",
    "FaceEngine",
    "Image",
    "ModelFile",
    "build_engine",
    "required_models",
]

ZOO = "https://github.com/opencv/opencv_zoo/raw/main/models"


@dataclasses.dataclass(frozen=True, slots=True)
class ModelFile:
    """A file ops install: its config key, where the kiosk reads it, its pinned hash, its source."""

    key: str
    path: Path
    sha256: str
    source: str


def required_models(config: FaceConfig) -> list[ModelFile]:
    """The model files the configured engine reads (dlib's weights come in a wheel instead)."""
    models = config.models
    files = [
        ModelFile(
            "face.models.yunet",
            models.path(models.yunet),
            models.yunet_sha256,
            f"{ZOO}/face_detection_yunet/face_detection_yunet_2023mar.onnx",
        )
    ]
    if config.engine == "opencv":
        files.append(
            ModelFile(
                "face.models.sface",
                models.path(models.sface),
                models.sface_sha256,
                f"{ZOO}/face_recognition_sface/face_recognition_sface_2021dec.onnx",
            )
        )
    return files


def build_engine(config: FaceConfig) -> FaceEngine:
    """The configured engine, ready to use; ``FaceSetupError`` names what is missing or wrong."""
    data = {m.key: read_verified(m.path, m.sha256, m.key) for m in required_models(config)}
    detector = YunetDetector(data["face.models.yunet"], min_score=config.gates.min_detector_score)
    if config.engine == "dlib":
        from kiosk.face.engines.dlib_resnet import DlibRecognizer

        return FaceEngine("dlib", detector, DlibRecognizer())
    from kiosk.face.engines.sface import SfaceRecognizer

    return FaceEngine("opencv", detector, SfaceRecognizer(data["face.models.sface"]))
