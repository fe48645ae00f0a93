"""Real faces against card-like photos (102×126, ~1.3 KB): same people, different people,
no face, two faces — with the dlib engine, whose weights ship in a wheel."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from facekit import card_jpeg, dlib_config, faces_dir, kiosk_frame, require_dlib

from kiosk.face.compare import Comparison, compare_images
from kiosk.face.config import FaceConfig
from kiosk.face.engines import FaceEngine, build_engine
from kiosk.face.images import decode_image, read_image

require_dlib()

PEOPLE = {
    "obama": ["obama.jpg", "obama2.jpg"],
    "biden": ["biden.jpg", "biden_biden2.jpg"],
    "kit": ["kit_harington_john1.jpeg", "kit_harington_john2.jpeg"],
}


@pytest.fixture(scope="module")
def config(shared_dir: Path) -> FaceConfig:
    return dlib_config(shared_dir)


@pytest.fixture(scope="module")
def engine(config: FaceConfig) -> FaceEngine:
    return build_engine(config)


def _compare(
    engine: FaceEngine, config: FaceConfig, shared: Path, live: str, card: str
) -> Comparison:
    frame = kiosk_frame(engine, read_image(faces_dir(shared) / live))
    card_image = decode_image(card_jpeg(engine, faces_dir(shared) / card))
    assert card_image is not None
    return compare_images(engine, frame, card_image, config.gates, config.thresholds.dlib)


def test_same_person_against_their_card_photo_matches(
    engine: FaceEngine, config: FaceConfig, shared_dir: Path
) -> None:
    result = _compare(engine, config, shared_dir, "biden.jpg", "biden_biden2.jpg")
    assert result.outcome == "match", result
    assert set(result.ms) == {"detect", "embed", "compare", "total"}
    assert result.ms["total"] >= result.ms["embed"] > 0


def test_someone_else_against_the_card_photo_is_a_mismatch(
    engine: FaceEngine, config: FaceConfig, shared_dir: Path
) -> None:
    result = _compare(engine, config, shared_dir, "obama.jpg", "biden_biden2.jpg")
    assert result.outcome == "mismatch" and result.score is not None
    assert result.score < config.thresholds.dlib.review


def test_every_same_person_pair_outscores_every_different_pair(
    engine: FaceEngine, config: FaceConfig, shared_dir: Path
) -> None:
    def embedding(image: np.ndarray) -> np.ndarray:
        return engine.embed(image, max(engine.detect(image), key=lambda f: f.w))

    photos = [
        (person, faces_dir(shared_dir) / n) for person, names in PEOPLE.items() for n in names
    ]
    live = [embedding(kiosk_frame(engine, read_image(path))) for _, path in photos]
    cards = [embedding(decode_image(card_jpeg(engine, path))) for _, path in photos]
    same, different = [], []
    for i, j in itertools.permutations(range(len(photos)), 2):
        score = engine.similarity(live[i], cards[j])
        (same if photos[i][0] == photos[j][0] else different).append(score)
    assert min(same) > max(different)
    assert min(same) >= config.thresholds.dlib.review  # a real owner is never a silent mismatch


def test_an_empty_camera_view_is_no_face(
    engine: FaceEngine, config: FaceConfig, shared_dir: Path
) -> None:
    card_image = decode_image(card_jpeg(engine, faces_dir(shared_dir) / "obama.jpg"))
    assert card_image is not None
    empty = np.full((480, 640, 3), 90, np.uint8)
    result = compare_images(engine, empty, card_image, config.gates, config.thresholds.dlib)
    assert (result.outcome, result.score, result.side) == ("no_face", None, "live")
    assert result.to_json()["detail"] == "no face in view"


def test_two_people_in_front_of_the_camera(
    engine: FaceEngine, config: FaceConfig, shared_dir: Path
) -> None:
    two = read_image(faces_dir(shared_dir) / "two_people.jpg")
    card_image = decode_image(card_jpeg(engine, faces_dir(shared_dir) / "obama.jpg"))
    assert card_image is not None
    result = compare_images(engine, two, card_image, config.gates, config.thresholds.dlib)
    assert result.to_json() == {
        "outcome": "multiple_faces",
        "score": None,
        "ms": result.ms,
        "side": "live",
        "detail": "2 faces in view, need exactly one",
    }


def test_a_card_photo_without_a_face(
    engine: FaceEngine, config: FaceConfig, shared_dir: Path
) -> None:
    frame = kiosk_frame(engine, read_image(faces_dir(shared_dir) / "obama.jpg"))
    blank_card = np.full((126, 102, 3), 200, np.uint8)
    result = compare_images(engine, frame, blank_card, config.gates, config.thresholds.dlib)
    assert (result.outcome, result.side) == ("no_face", "card")
