"""The YuNet face detector (``cv2.FaceDetectorYN``), shared by both engines.

YuNet finds faces down to about 10 px and gives five landmarks SFace needs for alignment.
"""

from __future__ import annotations

import cv2
import numpy as np

from kiosk.face.engines.base import Face, Image
from kiosk.face.engines.cverror import opencv_message
from kiosk.face.errors import FaceSetupError

NMS_THRESHOLD = 0.3
TOP_K = 50


class YunetDetector:
    """Detects faces at any input size; the network input is resized per image."""

    def __init__(self, model: bytes, *, min_score: float) -> None:
        try:
            self._net = cv2.FaceDetectorYN.create(
                "onnx",
                np.frombuffer(model, np.uint8),
                np.empty(0, np.uint8),
                (320, 320),
                min_score,
                NMS_THRESHOLD,
                TOP_K,
            )
        except cv2.error as exc:
            raise FaceSetupError(
                f"face.models.yunet: OpenCV cannot load it: {opencv_message(exc)}"
            ) from None

    def detect(self, image: Image) -> list[Face]:
        height, width = image.shape[:2]
        self._net.setInputSize((width, height))
        _, rows = self._net.detect(image)
        if rows is None:
            return []
        return [
            Face(float(r[0]), float(r[1]), float(r[2]), float(r[3]), float(r[14]), r.copy())
            for r in rows
        ]
