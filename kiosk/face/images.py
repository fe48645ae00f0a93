"""Reading images with plain errors, and making a card-like copy of a photo.

``card_like`` mimics what a chip holds — a 102×126 head-and-shoulders photo compressed to about
1.3 KB — so thresholds can be tried on ordinary photos before real card pairs exist.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from kiosk.face.engines.base import Face, Image
from kiosk.face.errors import FaceInputError

CARD_SIZE = (102, 126)
CARD_BYTES = 1300
CARD_FACE_SHARE = 0.55


def read_image(path: Path) -> Image:
    """A BGR image from a file; ``FaceInputError`` names the file when it is missing or not one."""
    if not path.is_file():
        raise FaceInputError(f"{path}: no such file")
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise FaceInputError(f"{path}: not an image OpenCV can read (JPEG, PNG, BMP, …)")
    return image


def decode_image(data: bytes) -> Image | None:
    """A BGR image from encoded bytes, or ``None`` when they are not an image."""
    if not data:
        return None
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)


def card_like(image: Image, face: Face | None, target_bytes: int = CARD_BYTES) -> bytes:
    """JPEG bytes of a 102×126 crop around ``face`` at the best quality within ``target_bytes``."""
    crop = _portrait_crop(image, face)
    small = cv2.resize(crop, CARD_SIZE, interpolation=cv2.INTER_AREA)
    encoded = b""
    for quality in range(95, 0, -5):
        ok, buffer = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, quality])
        encoded = buffer.tobytes()
        if ok and len(encoded) <= target_bytes:
            break
    return encoded


def _portrait_crop(image: Image, face: Face | None) -> Image:
    """A 102:126 crop where the face spans about half the width, as on an ID card."""
    height, width = image.shape[:2]
    if face is None:
        crop_w = min(width, height * CARD_SIZE[0] // CARD_SIZE[1])
        centre_x, centre_y = width / 2, height / 2
    else:
        crop_w = int(face.w / CARD_FACE_SHARE)
        centre_x, centre_y = face.x + face.w / 2, face.y + face.h * 0.55
    crop_h = crop_w * CARD_SIZE[1] // CARD_SIZE[0]
    x0 = int(min(max(centre_x - crop_w / 2, 0), max(width - crop_w, 0)))
    y0 = int(min(max(centre_y - crop_h / 2, 0), max(height - crop_h, 0)))
    return image[y0 : y0 + crop_h, x0 : x0 + crop_w]
