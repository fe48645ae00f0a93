"""The kiosk config's ``[face]`` table: camera, models, photo decoder, gates, thresholds, policy.

Every table forbids unknown keys so a mistyped setting is an error, never silently ignored.
Scores are similarities (higher means more alike) for every engine, so thresholds read the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

YUNET_SHA256 = "8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4"
SFACE_SHA256 = "0ba9fbfa01b5270c96627c4ef784da859931e02f04419c829e83484087c34e79"
SHA256_PATTERN = r"^[0-9a-f]{64}$"

EngineName = Literal["opencv", "dlib"]


class Table(BaseModel):
    """Base of every ``[face.*]`` table: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


class CameraConfig(Table):
    source: str = Field(
        default="0",
        min_length=1,
        title="device index, /dev/video path, rtsp:// or http:// URL, or a video or image file",
    )
    fps: float = Field(default=15.0, gt=0, le=120, title="frames per second read from files")
    open_timeout_s: float = Field(default=5.0, gt=0, le=60, title="give up opening a stream")
    read_timeout_s: float = Field(default=5.0, gt=0, le=60, title="give up waiting for a frame")
    reopen_backoff_s: float = Field(default=0.5, gt=0, le=60, title="first wait before reopening")
    reopen_backoff_max_s: float = Field(default=10.0, gt=0, le=600, title="longest wait")
    stale_after_s: float = Field(default=2.0, gt=0, le=60, title="older frames count as lost")

    @model_validator(mode="after")
    def _backoff_order(self) -> CameraConfig:
        if self.reopen_backoff_max_s < self.reopen_backoff_s:
            raise ValueError("reopen_backoff_max_s must be at least reopen_backoff_s")
        return self


class ModelsConfig(Table):
    dir: Path = Field(default=Path("/var/lib/yzt/models"), title="where ops put model files")
    yunet: Path = Field(
        default=Path("face_detection_yunet_2023mar.onnx"), title="YuNet detector (in dir)"
    )
    yunet_sha256: str = Field(default=YUNET_SHA256, pattern=SHA256_PATTERN)
    sface: Path = Field(
        default=Path("face_recognition_sface_2021dec.onnx"), title="SFace recognizer (in dir)"
    )
    sface_sha256: str = Field(default=SFACE_SHA256, pattern=SHA256_PATTERN)

    def path(self, name: Path) -> Path:
        """A model file's path: absolute as given, else inside ``dir``."""
        return name if name.is_absolute() else self.dir / name


class PhotoConfig(Table):
    decoder_library: Path | None = Field(
        default=None, title="vendor WLT decoder shared library (.so), loaded with ctypes"
    )
    decoder_function: str = Field(
        default="wlt2Bmp",
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        title="int f(const char *wlt_path, const char *bmp_path)",
    )
    success_code: int = Field(default=1, title="what the decoder returns on success")


class GatesConfig(Table):
    min_face_px: int = Field(default=80, ge=16, le=2000, title="smaller live faces are ignored")
    min_sharpness: float = Field(
        default=40.0, ge=0, title="Laplacian variance of the live face, scaled to 112 px"
    )
    min_detector_score: float = Field(default=0.8, gt=0, lt=1, title="YuNet face confidence")


class Thresholds(Table):
    match: float = Field(title="score at or above: same person")
    review: float = Field(title="score at or above (below match): staff look")

    @model_validator(mode="after")
    def _review_below_match(self) -> Thresholds:
        if self.review > self.match:
            raise ValueError("review must not be above match")
        return self


class ThresholdsConfig(Table):
    opencv: Thresholds = Field(
        default=Thresholds(match=0.363, review=0.28), title="SFace cosine similarity"
    )
    dlib: Thresholds = Field(
        default=Thresholds(match=0.40, review=0.33), title="1 - dlib descriptor distance"
    )

    def for_engine(self, engine: EngineName) -> Thresholds:
        return self.opencv if engine == "opencv" else self.dlib


class PolicyConfig(Table):
    """How a person result changes the verdict; it can only make it stricter."""

    on_mismatch: Literal["CHECK", "DENY"] = "CHECK"
    on_review: Literal["CHECK", "DENY"] = Field(
        default="CHECK", title="FACE_REVIEW, FACE_NOT_FOUND, FACE_MULTIPLE"
    )
    on_unavailable: Literal["PASS", "CHECK"] = Field(
        default="CHECK", title="FACE_UNAVAILABLE: no camera, no photo decoder, engine trouble"
    )


class FaceConfig(Table):
    enabled: bool = False
    engine: EngineName = "opencv"
    search_s: float = Field(
        default=1.0, ge=0, le=10, title="how long to wait for a usable live frame"
    )
    camera: CameraConfig = Field(default_factory=CameraConfig)
    models: ModelsConfig = Field(default_factory=ModelsConfig)
    photo: PhotoConfig = Field(default_factory=PhotoConfig)
    gates: GatesConfig = Field(default_factory=GatesConfig)
    thresholds: ThresholdsConfig = Field(default_factory=ThresholdsConfig)
    policy: PolicyConfig = Field(default_factory=PolicyConfig)
