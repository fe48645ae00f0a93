"""OpenCV's exception text reduced to the sentence a person needs."""

from __future__ import annotations

import re

import cv2

_MESSAGE = re.compile(r"error: \([^)]*\) (?P<text>.*?)(?: in function '[^']*')?$")


def opencv_message(exc: cv2.error) -> str:
    """``Failed to parse onnx model…`` from OpenCV's ``OpenCV(4.x) file.cpp:316: error: (…) …``."""
    text = " ".join(str(exc).split())
    found = _MESSAGE.search(text)
    return found.group("text").strip() if found and found.group("text").strip() else text
