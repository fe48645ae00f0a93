"""Image files with plain errors, and card-like photos: 102×126, about 1.3 KB."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from facekit import faces_dir

from kiosk.face.engines.yunet import YunetDetector
from kiosk.face.errors import FaceInputError
from kiosk.face.images import card_like, decode_image, read_image


def test_card_like_photo_is_card_sized_and_compressed(shared_dir: Path) -> None:
    model = shared_dir / "models" / "face_detection_yunet_2023mar.onnx"
    detector = YunetDetector(model.read_bytes(), min_score=0.8)
    image = read_image(faces_dir(shared_dir) / "biden_biden2.jpg")
    data = card_like(image, detector.detect(image)[0])
    assert 900 <= len(data) <= 1300
    card = decode_image(data)
    assert card is not None and card.shape == (126, 102, 3)
    (face,) = detector.detect(card)
    assert 45 < face.w < 75  # the face fills about half the card width, as on a real card


def test_card_like_without_a_face_crops_the_centre() -> None:
    gradient = np.tile(np.arange(256, dtype=np.uint8), (300, 2))[:, :400]
    data = card_like(np.dstack([gradient] * 3), None)
    card = decode_image(data)
    assert card is not None and card.shape == (126, 102, 3) and len(data) <= 1300


def test_missing_and_non_image_files_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(FaceInputError, match=r"nope.jpg: no such file"):
        read_image(tmp_path / "nope.jpg")
    text = tmp_path / "notes.jpg"
    text.write_text("hello", encoding="utf-8")
    with pytest.raises(FaceInputError, match=r"notes.jpg: not an image OpenCV can read"):
        read_image(text)


def test_undecodable_bytes_are_none() -> None:
    assert decode_image(b"") is None
    assert decode_image(b"GIF89a garbage") is None
