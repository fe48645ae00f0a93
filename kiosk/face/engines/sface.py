"""The SFace recognizer (``cv2.FaceRecognizerSF``): aligns on YuNet's landmarks, 128-d features.

The score is SFace's cosine similarity; OpenCV's published same-person threshold is 0.363.
"""

from __future__ import annotations

import cv2
import numpy as np

from kiosk.face.engines.base import Embedding, Face, Image
from kiosk.face.engines.cverror import opencv_message
from kiosk.face.errors import FaceSetupError

INPUT_SIZE = 112
FEATURE_SIZE = 128


class SfaceRecognizer:
    """Loaded from verified bytes and probed once: a wrong network fails at start, not per tap."""

    def __init__(self, model: bytes) -> None:
        try:
            self._net = cv2.FaceRecognizerSF.create(
                "onnx", np.frombuffer(model, np.uint8), np.empty(0, np.uint8)
            )
            probe = self._net.feature(np.zeros((INPUT_SIZE, INPUT_SIZE, 3), np.uint8))
        except cv2.error as exc:
            raise FaceSetupError(
                f"face.models.sface: OpenCV cannot load it: {opencv_message(exc)}"
            ) from None
        if probe.size != FEATURE_SIZE:
            raise FaceSetupError(
                f"face.models.sface: the network gives {probe.size} numbers per face, "
                f"expected {FEATURE_SIZE} (not an SFace model)"
            )

    def embed(self, image: Image, face: Face) -> Embedding:
        aligned = self._net.alignCrop(image, face.row)
        return np.asarray(self._net.feature(aligned), np.float32).copy()

    def similarity(self, a: Embedding, b: Embedding) -> float:
        return float(self._net.match(a, b, cv2.FaceRecognizerSF_FR_COSINE))
