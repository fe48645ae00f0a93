"""Face engines behind one interface; ``build_engine`` picks one by the config's ``engine``.

``opencv``: YuNet + SFace model files, both checked by SHA-256. ``dlib``: YuNet + dlib's ResNet
descriptor from the ``face-recognition-models`` wheel.
"""

from __future__ import annotations

from kiosk.face.config import FaceConfig
from kiosk.face.engines.base import Embedding, Face, FaceEngine, Image
from kiosk.face.engines.modelfile import read_verified
from kiosk.face.engines.yunet import YunetDetector

__all__ = ["Embedding", "Face", "FaceEngine", "Image", "build_engine"]


def build_engine(config: FaceConfig) -> FaceEngine:
    """The configured engine, ready to use; ``FaceSetupError`` names what is missing or wrong."""
    models = config.models
    yunet = read_verified(models.path(models.yunet), models.yunet_sha256, "face.models.yunet")
    detector = YunetDetector(yunet, min_score=config.gates.min_detector_score)
    if config.engine == "dlib":
        from kiosk.face.engines.dlib_resnet import DlibRecognizer

        return FaceEngine("dlib", detector, DlibRecognizer())
    from kiosk.face.engines.sface import SfaceRecognizer

    sface = read_verified(models.path(models.sface), models.sface_sha256, "face.models.sface")
    return FaceEngine("opencv", detector, SfaceRecognizer(sface))
