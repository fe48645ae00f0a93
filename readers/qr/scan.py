"""QR codes in camera frames and image files, read with zxing-cpp.

zxing-cpp was chosen by measurement (``benchmarks/bench_qr.py``, docs/qr.md): on 640×480 frames
of the EU test codes, clean, small, rotated, tilted, blurred, JPEG-compressed, cluttered and
dark, it read 74 % of the frames exactly against 9 % for OpenCV's QRCodeDetector and 15 % for
QRCodeDetectorAruco, at about 1 ms per frame on one core against 5–9 ms. Text comes back in
``Plain`` mode: the payload's characters as encoded, nothing added.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import zxingcpp

from readers.qr.errors import QrImageError

QR_ONLY = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)


def read_codes(frame: np.ndarray) -> tuple[str, ...]:
    """The text of every QR code in an 8-bit grey or BGR frame (as OpenCV delivers it)."""
    grey_or_bgr = frame.ndim == 2 or (frame.ndim == 3 and frame.shape[2] == 3)
    if frame.dtype != np.uint8 or not grey_or_bgr:
        raise QrImageError(
            f"frame of shape {frame.shape} and type {frame.dtype}: expected 8-bit grey or BGR"
        )
    grey = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    found = zxingcpp.read_barcodes(grey, formats=QR_ONLY, text_mode=zxingcpp.TextMode.Plain)
    return tuple(code.text for code in found)


def read_image_file(path: Path) -> tuple[str, ...]:
    """The text of every QR code in an image file (PNG, JPEG, … anything OpenCV reads)."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise QrImageError(f"cannot read {path}: {error.strerror or error}") from None
    return read_image_bytes(data, name=str(path))


def read_image_bytes(data: bytes, *, name: str = "the image") -> tuple[str, ...]:
    """The text of every QR code in an encoded image (PNG, JPEG, …); ``name`` is for errors."""
    encoded = np.frombuffer(data, dtype=np.uint8)
    image = cv2.imdecode(encoded, cv2.IMREAD_GRAYSCALE) if encoded.size else None
    if image is None:
        raise QrImageError(f"{name} is not an image OpenCV can read (PNG, JPEG, BMP, …)")
    return read_codes(image)
