"""The kiosk config's ``[qr]`` table: scanning QR codes with the kiosk's camera while idle."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator


class QrConfig(BaseModel):
    """Elder QR cards and health certificates from the camera ``[face.camera]`` names
    (docs/qr.md); the face check and the scanner share that one camera."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(False, title="scan the camera for QR codes while no tap is running")
    card_key_file: Path | None = Field(
        None, title="pinned elder-card key(s): card-signing.pub from yzt verifier keys init"
    )
    trust_list: Path | None = Field(
        None, title='health-certificate signers, {"certificates": [...]} (docs/qr.md)'
    )
    scan_fps: float = Field(10.0, gt=0, le=30, title="frames decoded per second at most")
    repeat_after_s: float = Field(
        10.0, ge=1, le=600, title="the same code seen again within this long is the same tap"
    )

    @model_validator(mode="after")
    def _something_to_verify(self) -> QrConfig:
        if self.enabled and self.card_key_file is None and self.trust_list is None:
            raise ValueError(
                "enabled needs card_key_file (elder cards) or trust_list (health certificates)"
            )
        return self
