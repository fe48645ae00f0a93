"""What every engine offers: find faces, turn one into an embedding, score two embeddings.

An engine is the YuNet detector plus one recognizer (SFace or dlib). OpenCV's networks are not
safe to call from two threads at once, so the engine serialises calls with a lock.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Protocol

import cv2
import numpy as np
from numpy.typing import NDArray

Image = cv2.typing.MatLike  # 8-bit BGR, as OpenCV reads, decodes and captures it
Embedding = NDArray[np.float32]


@dataclasses.dataclass(frozen=True, slots=True)
class Face:
    """One detected face: box in pixels, confidence, and YuNet's raw 15-number row."""

    x: float
    y: float
    w: float
    h: float
    score: float
    row: NDArray[np.float32]

    @property
    def size(self) -> float:
        """The shorter side of the box, what size gates compare against."""
        return min(self.w, self.h)


class Detector(Protocol):
    def detect(self, image: Image) -> list[Face]: ...


class Recognizer(Protocol):
    def embed(self, image: Image, face: Face) -> Embedding: ...

    def similarity(self, a: Embedding, b: Embedding) -> float: ...


class FaceEngine:
    """Detector plus recognizer under one lock; ``name`` picks the thresholds."""

    def __init__(self, name: str, detector: Detector, recognizer: Recognizer) -> None:
        self.name = name
        self._detector = detector
        self._recognizer = recognizer
        self._lock = threading.Lock()

    def detect(self, image: Image) -> list[Face]:
        with self._lock:
            return self._detector.detect(image)

    def embed(self, image: Image, face: Face) -> Embedding:
        with self._lock:
            return self._recognizer.embed(image, face)

    def similarity(self, a: Embedding, b: Embedding) -> float:
        return self._recognizer.similarity(a, b)
