"""Quality gates and the match / review / mismatch decision — pure functions, no engine.

Live frame gates, in order: at least one face of ``min_face_px`` (smaller faces are people
further back in the queue and are ignored), exactly one such face, and that face sharp enough
(variance of the Laplacian on the face scaled to 112 px, so it does not grow with face size).
The card photo has no gates: it is what the card holds; the largest face in it is used.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

import cv2

from kiosk.face.config import GatesConfig, Thresholds
from kiosk.face.engines.base import Face, Image

SHARPNESS_SIZE = 112

Similarity = Literal["match", "review", "mismatch"]


@dataclasses.dataclass(frozen=True, slots=True)
class Rejected:
    """A side without a usable face: ``outcome`` as in ``yzt face compare``, ``detail`` says why."""

    outcome: Literal["no_face", "multiple_faces"]
    detail: str


def sharpness(image: Image, face: Face) -> float:
    """Variance of the Laplacian over the face box, scaled to a fixed size first."""
    height, width = image.shape[:2]
    x0, y0 = max(int(face.x), 0), max(int(face.y), 0)
    x1, y1 = min(int(face.x + face.w), width), min(int(face.y + face.h), height)
    if x1 <= x0 or y1 <= y0:
        return 0.0
    crop = cv2.cvtColor(image[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY)
    crop = cv2.resize(crop, (SHARPNESS_SIZE, SHARPNESS_SIZE), interpolation=cv2.INTER_AREA)
    return float(cv2.Laplacian(crop, cv2.CV_64F).var())


def live_face(faces: list[Face], image: Image, gates: GatesConfig) -> Face | Rejected:
    """The one usable face of a live frame, or why there is none."""
    big = [face for face in faces if face.size >= gates.min_face_px]
    if not big:
        if faces:
            largest = max(face.size for face in faces)
            return Rejected(
                "no_face", f"face too small: {largest:.0f} px, need {gates.min_face_px} px"
            )
        return Rejected("no_face", "no face in view")
    if len(big) > 1:
        return Rejected("multiple_faces", f"{len(big)} faces in view, need exactly one")
    face = big[0]
    sharp = sharpness(image, face)
    if sharp < gates.min_sharpness:
        return Rejected(
            "no_face", f"face too blurred: sharpness {sharp:.0f}, need {gates.min_sharpness:g}"
        )
    return face


def card_face(faces: list[Face]) -> Face | Rejected:
    """The largest face of the card photo."""
    if not faces:
        return Rejected("no_face", "no face found in the card photo")
    return max(faces, key=lambda face: face.w * face.h)


def classify(score: float, thresholds: Thresholds) -> Similarity:
    """Match at or above ``match``, review band down to ``review``, mismatch below."""
    if score >= thresholds.match:
        return "match"
    if score >= thresholds.review:
        return "review"
    return "mismatch"
