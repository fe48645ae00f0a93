"""dlib's ResNet face descriptor with the weights shipped by the ``face-recognition-models`` wheel.

That package imports ``pkg_resources`` (gone from recent setuptools), so its ``.dat`` files are
found through the import system without importing it. The score is ``1 - distance`` between the
128-d descriptors, so dlib's published same-person distance of 0.6 is a score of 0.4.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from kiosk.face.engines.base import Embedding, Face, Image
from kiosk.face.errors import FaceSetupError

MODELS_PACKAGE = "face_recognition_models"
SHAPE_MODEL = "shape_predictor_5_face_landmarks.dat"
DESCRIPTOR_MODEL = "dlib_face_recognition_resnet_model_v1.dat"
INSTALL_HINT = "pip install 'yzt[face-dlib]' (dlib-bin and face-recognition-models)"


def models_dir() -> Path:
    """The folder of the installed ``face_recognition_models`` weights."""
    spec = importlib.util.find_spec(MODELS_PACKAGE)
    if spec is None or spec.origin is None:
        raise FaceSetupError(f"face.engine dlib: {MODELS_PACKAGE} is not installed; {INSTALL_HINT}")
    return Path(spec.origin).parent / "models"


def _import_dlib() -> Any:
    try:
        import dlib
    except ImportError:
        raise FaceSetupError(f"face.engine dlib: dlib is not installed; {INSTALL_HINT}") from None
    return dlib


class DlibRecognizer:
    """Five-point landmarks on the detector's box, then the ResNet descriptor."""

    def __init__(self, folder: Path | None = None) -> None:
        dlib = _import_dlib()
        folder = folder if folder is not None else models_dir()
        self._rectangle = dlib.rectangle
        try:
            self._shape = dlib.shape_predictor(str(folder / SHAPE_MODEL))
            self._descriptor = dlib.face_recognition_model_v1(str(folder / DESCRIPTOR_MODEL))
        except RuntimeError as exc:
            raise FaceSetupError(
                f"face.engine dlib: cannot load weights in {folder}: {exc}"
            ) from None

    def embed(self, image: Image, face: Face) -> Embedding:
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        box = self._rectangle(
            round(face.x), round(face.y), round(face.x + face.w), round(face.y + face.h)
        )
        landmarks = self._shape(rgb, box)
        return np.asarray(self._descriptor.compute_face_descriptor(rgb, landmarks), np.float32)

    def similarity(self, a: Embedding, b: Embedding) -> float:
        return 1.0 - float(np.linalg.norm(a - b))
