"""The [face] table: safe defaults, official hashes, and plain errors for mistyped settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from kiosk.face.config import SFACE_SHA256, YUNET_SHA256, FaceConfig
from kiosk.face.errors import FaceInputError
from kiosk.face.settings import load_face_config


def test_defaults_are_off_and_pin_the_official_model_hashes() -> None:
    config = FaceConfig()
    assert config.enabled is False
    assert config.models.yunet_sha256 == YUNET_SHA256
    assert config.models.sface_sha256 == SFACE_SHA256
    assert config.models.path(config.models.yunet) == Path(
        "/var/lib/yzt/models/face_detection_yunet_2023mar.onnx"
    )
    assert config.policy.on_mismatch == "CHECK"


def test_absolute_model_path_is_used_as_given() -> None:
    config = FaceConfig.model_validate({"models": {"yunet": "/opt/m/y.onnx"}})
    assert config.models.path(config.models.yunet) == Path("/opt/m/y.onnx")


@pytest.mark.parametrize(
    ("table", "where"),
    [
        ({"enabeld": True}, "enabeld"),
        ({"camera": {"fsp": 10}}, "fsp"),
        ({"engine": "magic"}, "engine"),
        ({"thresholds": {"dlib": {"match": 0.3, "review": 0.5}}}, "review must not be above"),
        ({"models": {"yunet_sha256": "abc"}}, "yunet_sha256"),
        ({"policy": {"on_unavailable": "DENY"}}, "on_unavailable"),
        ({"camera": {"reopen_backoff_s": 5, "reopen_backoff_max_s": 1}}, "reopen_backoff_max_s"),
    ],
)
def test_bad_settings_are_refused_naming_the_key(table: dict, where: str) -> None:
    with pytest.raises(ValidationError, match=where):
        FaceConfig.model_validate(table)


def test_kiosk_toml_face_table_is_read_and_flags_override(tmp_path: Path) -> None:
    toml = tmp_path / "kiosk.toml"
    toml.write_text(
        '[kiosk]\nid = "k1"\n[face]\nenabled = true\nengine = "opencv"\n'
        "[face.thresholds.dlib]\nmatch = 0.5\nreview = 0.45\n",
        encoding="utf-8",
    )
    config = load_face_config(toml, engine="dlib", models_dir=tmp_path)
    assert config.enabled and config.engine == "dlib"
    assert config.thresholds.dlib.match == 0.5
    assert config.models.dir == tmp_path


def test_a_bad_face_table_gives_one_line_naming_the_key(tmp_path: Path) -> None:
    toml = tmp_path / "kiosk.toml"
    toml.write_text("[face.gates]\nmin_face_px = 2\n", encoding="utf-8")
    with pytest.raises(FaceInputError, match=r"face\.gates\.min_face_px: .*greater than") as err:
        load_face_config(toml)
    assert "\n" not in str(err.value)


def test_unreadable_or_broken_toml_is_a_plain_error(tmp_path: Path) -> None:
    with pytest.raises(FaceInputError, match="cannot read"):
        load_face_config(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[face\n", encoding="utf-8")
    with pytest.raises(FaceInputError, match="not valid TOML"):
        load_face_config(broken)
