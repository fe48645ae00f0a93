"""Model files are read once, checked against their pinned SHA-256, and handed over as bytes.

Loading the networks from the very bytes that were hashed leaves no window for the file to change
between the check and the load.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from kiosk.face.errors import FaceSetupError


def read_verified(path: Path, expected_sha256: str, key: str) -> bytes:
    """The file's bytes when its SHA-256 is the pinned one; else a plain error naming ``key``."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise FaceSetupError(
            f"{key}: model file {path} not found; `yzt face check-models` says what to put where"
        ) from None
    except OSError as exc:
        raise FaceSetupError(f"{key}: cannot read {path}: {exc.strerror}") from None
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected_sha256:
        raise FaceSetupError(
            f"{key}: {path} has sha256 {actual}, expected {expected_sha256} "
            f"(wrong or damaged file; set {key}_sha256 only for a file you trust)"
        )
    return data
