"""Model files are checked by SHA-256 before a network is built from them."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from kiosk.face.engines.modelfile import read_verified
from kiosk.face.errors import FaceSetupError


def test_the_pinned_file_is_returned(tmp_path: Path) -> None:
    model = tmp_path / "m.onnx"
    model.write_bytes(b"weights")
    assert (
        read_verified(model, hashlib.sha256(b"weights").hexdigest(), "face.models.x") == b"weights"
    )


def test_a_changed_file_is_refused_with_both_hashes(tmp_path: Path) -> None:
    model = tmp_path / "m.onnx"
    model.write_bytes(b"tampered")
    expected = hashlib.sha256(b"weights").hexdigest()
    with pytest.raises(FaceSetupError) as err:
        read_verified(model, expected, "face.models.yunet")
    message = str(err.value)
    assert message.startswith("face.models.yunet: ")
    assert expected in message and hashlib.sha256(b"tampered").hexdigest() in message


def test_a_missing_file_says_where_it_was_looked_for(tmp_path: Path) -> None:
    with pytest.raises(
        FaceSetupError, match=r"face.models.sface: model file .*nope.onnx not found"
    ):
        read_verified(tmp_path / "nope.onnx", "0" * 64, "face.models.sface")
