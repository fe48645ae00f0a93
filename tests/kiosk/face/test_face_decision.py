"""Quality gates and thresholds on real faces: size, count, sharpness, and the score bands."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from facekit import faces_dir

from kiosk.face.config import GatesConfig, Thresholds
from kiosk.face.decision import Rejected, card_face, classify, live_face, sharpness
from kiosk.face.engines.base import Face
from kiosk.face.engines.yunet import YunetDetector
from kiosk.face.images import read_image

GATES = GatesConfig(min_face_px=80, min_sharpness=40)


@pytest.fixture(scope="module")
def detector(shared_dir: Path) -> YunetDetector:
    model = shared_dir / "models" / "face_detection_yunet_2023mar.onnx"
    return YunetDetector(model.read_bytes(), min_score=0.8)


@pytest.fixture(scope="module")
def obama(shared_dir: Path) -> np.ndarray:
    return read_image(faces_dir(shared_dir) / "obama.jpg")


def test_a_sharp_big_face_passes(detector: YunetDetector, obama: np.ndarray) -> None:
    faces = detector.detect(obama)
    assert live_face(faces, obama, GATES) == faces[0]


def test_a_blurred_face_is_refused_with_its_sharpness(
    detector: YunetDetector, obama: np.ndarray
) -> None:
    (face,) = detector.detect(obama)
    blurred = cv2.GaussianBlur(obama, (0, 0), face.w / 25)
    assert sharpness(blurred, face) < 40 < sharpness(obama, face)
    found = live_face(detector.detect(blurred), blurred, GATES)
    assert isinstance(found, Rejected) and found.outcome == "no_face"
    assert found.detail.startswith("face too blurred: sharpness ")


def test_a_small_face_is_too_far_away(detector: YunetDetector, obama: np.ndarray) -> None:
    small = cv2.resize(obama, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    found = live_face(detector.detect(small), small, GATES)
    assert isinstance(found, Rejected) and found.outcome == "no_face"
    assert found.detail.startswith("face too small: ") and found.detail.endswith(", need 80 px")


def test_two_people_in_front_are_multiple_faces(detector: YunetDetector, shared_dir: Path) -> None:
    image = read_image(faces_dir(shared_dir) / "two_people.jpg")
    found = live_face(detector.detect(image), image, GATES)
    assert found == Rejected("multiple_faces", "2 faces in view, need exactly one")


def test_a_small_face_behind_the_person_is_ignored(
    detector: YunetDetector, shared_dir: Path, obama: np.ndarray
) -> None:
    biden = read_image(faces_dir(shared_dir) / "biden.jpg")
    far = cv2.resize(biden, None, fx=0.15, fy=0.15, interpolation=cv2.INTER_AREA)
    scene = obama.copy()
    scene[: far.shape[0], : far.shape[1]] = far
    faces = detector.detect(scene)
    assert len(faces) == 2
    found = live_face(faces, scene, GATES)
    assert isinstance(found, Face) and found.size > 150


def test_no_face_at_all(obama: np.ndarray) -> None:
    assert live_face([], obama, GATES) == Rejected("no_face", "no face in view")
    assert card_face([]) == Rejected("no_face", "no face found in the card photo")


def test_card_photo_uses_its_largest_face() -> None:
    row = np.zeros(15, np.float32)
    small, big = Face(0, 0, 20, 20, 0.9, row), Face(0, 0, 60, 70, 0.9, row)
    assert card_face([small, big]) is big


@pytest.mark.parametrize(
    ("score", "outcome"),
    [(0.5, "match"), (0.4, "match"), (0.39, "review"), (0.33, "review"), (0.32, "mismatch")],
)
def test_score_bands(score: float, outcome: str) -> None:
    assert classify(score, Thresholds(match=0.4, review=0.33)) == outcome
