"""QR codes found in frames and image files exactly as encoded, and unreadable input refused."""

from __future__ import annotations

import base64
from pathlib import Path

import cv2
import numpy as np
import pytest
from qrkit import DCC, load_case, qr_image

from readers.qr import QrImageError, read_codes, read_image_bytes, read_image_file

PAYLOAD = "YZT1:Ab3-_x/é 长者卡"


def _frame(code: np.ndarray) -> np.ndarray:
    """A 640×480 BGR camera frame with ``code`` a little left of the middle."""
    frame = np.full((480, 640), 200, np.uint8)
    h, w = code.shape
    frame[100 : 100 + h, 150 : 150 + w] = code
    return cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)


def test_bgr_and_grey_frames_give_the_exact_text() -> None:
    frame = _frame(qr_image(PAYLOAD))
    assert read_codes(frame) == (PAYLOAD,)
    assert read_codes(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)) == (PAYLOAD,)


def test_a_rotated_jpeg_photo_still_reads() -> None:
    frame = _frame(qr_image(PAYLOAD))
    turned = cv2.warpAffine(frame, cv2.getRotationMatrix2D((320, 240), 25, 0.8), (640, 480))
    ok, jpeg = cv2.imencode(".jpg", turned, [cv2.IMWRITE_JPEG_QUALITY, 40])
    assert ok
    assert read_image_bytes(jpeg.tobytes()) == (PAYLOAD,)


def test_a_frame_without_a_code_gives_nothing() -> None:
    assert read_codes(np.full((480, 640, 3), 90, np.uint8)) == ()


def test_a_shared_dcc_picture_reads_to_its_prefix(tmp_path: Path) -> None:
    path = DCC / "DE" / "2DCode" / "raw" / "1.json"
    if not path.is_file():
        pytest.skip(f"{path} is not here: the EU DCC test data lives in ../shared")
    case = load_case(path)
    image = tmp_path / "de1.png"
    image.write_bytes(base64.b64decode(str(case["2DCODE"])))
    assert read_image_file(image) == (case["PREFIX"],)


@pytest.mark.parametrize(
    "frame",
    [np.zeros((48, 64), np.uint16), np.zeros((48, 64, 4), np.uint8), np.zeros(10, np.uint8)],
)
def test_frames_that_are_not_grey_or_bgr_bytes_are_refused(frame: np.ndarray) -> None:
    with pytest.raises(QrImageError, match="expected 8-bit grey or BGR"):
        read_codes(frame)


def test_files_that_are_not_images_are_refused(tmp_path: Path) -> None:
    text = tmp_path / "note.png"
    text.write_text("not a picture", encoding="utf-8")
    with pytest.raises(QrImageError, match=r"note\.png is not an image OpenCV can read"):
        read_image_file(text)
    with pytest.raises(QrImageError, match="cannot read"):
        read_image_file(tmp_path / "absent.png")
    with pytest.raises(QrImageError, match="is not an image"):
        read_image_bytes(b"")
