"""Helpers for the kiosk's QR tests: printed elder cards made by the verifier's own issuer and
renderer, "photographed" as a kiosk camera sees them, and played as a camera video file."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from verifier.qrcards.issue import IssuedCard, make_card
from verifier.qrcards.render import CardFace, render_card
from verifier.qrcards.token import serial_text

FRAME_W, FRAME_H = 640, 480
FPS = 15


def public_pem(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)


def printed_card(
    folder: Path, key: Ed25519PrivateKey, pepper: bytes, id_number: str, *, days: int = 365
) -> tuple[IssuedCard, Path]:
    """A card signed now for ``id_number`` and rendered to a 300 dpi PNG in ``folder``."""
    card = make_card(pepper, key, id_number=id_number, valid_days=days, now=dt.datetime.now(dt.UTC))
    serial = serial_text(card.claims.serial)
    path = folder / f"card-{serial}.png"
    face = CardFace(card.token, serial, card.claims.expires_at.date().isoformat(), "张*明")
    render_card(face, path)
    return card, path


def clutter(rng: np.random.Generator) -> np.ndarray:
    """A busy 640×480 scene: blotchy wall, coloured shapes, signs."""
    scene = rng.integers(60, 200, size=(FRAME_H, FRAME_W, 3), dtype=np.uint8)
    scene = cv2.GaussianBlur(scene, (0, 0), 6)
    for _ in range(25):
        color = tuple(int(c) for c in rng.integers(0, 255, 3))
        x, y = int(rng.integers(0, FRAME_W)), int(rng.integers(0, FRAME_H))
        size = int(rng.integers(10, 90))
        match int(rng.integers(0, 3)):
            case 0:
                cv2.rectangle(scene, (x, y), (x + size, y + size // 2), color, -1)
            case 1:
                cv2.circle(scene, (x, y), size // 2, color, 3)
            case _:
                cv2.putText(scene, "EXIT 3F", (x, y), cv2.FONT_HERSHEY_SIMPLEX, 1.0, color, 2)
    return scene


def photograph(
    card_png: Path | None,
    *,
    seed: int,
    width: int = 240,
    angle: float = 12.0,
    blur: float = 1.2,
    quality: int = 40,
) -> np.ndarray:
    """A camera frame of the card held at arm's length: scaled down to ``width`` px, turned by
    ``angle``°, on a cluttered background, blurred and JPEG-compressed (None: the scene alone)."""
    rng = np.random.default_rng(seed)
    frame = clutter(rng)
    if card_png is not None:
        card = cv2.imread(str(card_png))
        height = round(card.shape[0] * width / card.shape[1])
        small = cv2.resize(card, (width, height), interpolation=cv2.INTER_AREA)
        x, y = int(rng.integers(120, FRAME_W - width - 40)), int(rng.integers(40, 80))
        canvas, mask = np.zeros_like(frame), np.zeros(frame.shape[:2], np.uint8)
        canvas[y : y + height, x : x + width], mask[y : y + height, x : x + width] = small, 255
        turn = cv2.getRotationMatrix2D((x + width / 2, y + height / 2), angle, 1.0)
        canvas = cv2.warpAffine(canvas, turn, (FRAME_W, FRAME_H))
        mask = cv2.warpAffine(mask, turn, (FRAME_W, FRAME_H))
        frame[mask > 127] = canvas[mask > 127]
    frame = cv2.GaussianBlur(frame, (0, 0), blur)
    ok, jpeg = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return cv2.imdecode(jpeg, cv2.IMREAD_COLOR)


def write_video(path: Path, frames: Sequence[np.ndarray]) -> None:
    """An MJPG AVI of ``frames``, put in place in one step (the camera may be playing ``path``)."""
    partial = path.with_name(f"{path.stem}.partial.avi")
    writer = cv2.VideoWriter(str(partial), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (FRAME_W, FRAME_H))
    assert writer.isOpened(), "OpenCV cannot write MJPG AVI files here"
    for frame in frames:
        writer.write(frame)
    writer.release()
    os.replace(partial, path)


def held_up(card_png: Path | None, *, empty: int = 6, shown: int = 24) -> list[np.ndarray]:
    """A clip: the empty scene, then the card held up and moving a little."""
    frames = [photograph(None, seed=s) for s in range(empty)]
    return frames + [photograph(card_png, seed=100 + s, angle=8 + s % 7) for s in range(shown)]
