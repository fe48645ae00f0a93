"""Calibration on a site's own photo pairs: scores, TAR at fixed FAR, and a threshold table.

Pairs come from a CSV with columns ``a`` (live photo), ``b`` (card photo) and ``same`` (1/0);
relative paths are taken from the CSV's folder. A pair where a side has no usable face counts as
not accepted, as it would at the kiosk. TAR at FAR f needs at least 1/f different-person pairs
to mean anything; fewer are flagged rather than hidden.
"""

from __future__ import annotations

import csv
import dataclasses
import math
from collections.abc import Callable, Iterator
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from kiosk.face.config import GatesConfig, Thresholds
from kiosk.face.decision import Rejected, card_face, live_face
from kiosk.face.engines.base import Embedding, FaceEngine, Image
from kiosk.face.errors import FaceInputError
from kiosk.face.images import card_like, decode_image, read_image

COLUMNS = ("a", "b", "same")
TRUE = {"1", "true", "yes", "same"}
FALSE = {"0", "false", "no", "different"}
FAR_TARGETS = (0.01, 0.001)
REJECTED = -math.inf
PLACES = Decimal("0.001")  # thresholds as ops type them into the config


@dataclasses.dataclass(frozen=True, slots=True)
class Pair:
    a: Path
    b: Path
    same: bool


@dataclasses.dataclass(frozen=True, slots=True)
class OperatingPoint:
    far_target: float
    threshold: float | None
    tar: float
    far: float
    reliable: bool


@dataclasses.dataclass(frozen=True, slots=True)
class Report:
    engine: str
    genuine: NDArray[np.float64]
    impostor: NDArray[np.float64]
    no_face: int
    points: list[OperatingPoint]
    table: list[tuple[float, float, float]]

    def to_json(self, configured: Thresholds) -> dict[str, object]:
        return {
            "engine": self.engine,
            "pairs": {
                "same": len(self.genuine),
                "different": len(self.impostor),
                "no_face": self.no_face,
            },
            "tar_at_far": [dataclasses.asdict(point) for point in self.points],
            "thresholds": [{"threshold": t, "tar": tar, "far": far} for t, tar, far in self.table],
            "configured": {"match": configured.match, "review": configured.review},
        }


def read_pairs(path: Path) -> list[Pair]:
    """The pairs of a CSV; ``FaceInputError`` names the line and column of a bad row."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise FaceInputError(f"{path}: cannot read: {exc}") from None
    reader = csv.DictReader(text.splitlines())
    missing = [name for name in COLUMNS if name not in (reader.fieldnames or [])]
    if missing:
        raise FaceInputError(f"{path}: missing column(s) {', '.join(missing)}; expected a,b,same")
    pairs = [_pair(path, reader.line_num, row) for row in reader]
    if not pairs:
        raise FaceInputError(f"{path}: no pairs")
    return pairs


def _pair(path: Path, line: int, row: dict[str, str]) -> Pair:
    same = (row.get("same") or "").strip().lower()
    if same not in TRUE | FALSE:
        raise FaceInputError(f"{path}:{line}: same: expected 1 or 0, got {same!r}")
    for column in ("a", "b"):
        if not (row.get(column) or "").strip():
            raise FaceInputError(f"{path}:{line}: {column}: empty, expected an image path")
    return Pair(path.parent / row["a"].strip(), path.parent / row["b"].strip(), same in TRUE)


class Embedder:
    """Embeddings per image and role, each computed once however many pairs use it."""

    def __init__(self, engine: FaceEngine, gates: GatesConfig, *, as_card: bool) -> None:
        self._engine, self._gates, self._as_card = engine, gates, as_card
        self._cache: dict[tuple[Path, str], Embedding | None] = {}

    def live(self, path: Path) -> Embedding | None:
        key = (path, "live")
        if key not in self._cache:
            image = read_image(path)
            found = live_face(self._engine.detect(image), image, self._gates)
            self._cache[key] = (
                None if isinstance(found, Rejected) else self._engine.embed(image, found)
            )
        return self._cache[key]

    def card(self, path: Path) -> Embedding | None:
        key = (path, "card")
        if key not in self._cache:
            self._cache[key] = self._card(read_image(path))
        return self._cache[key]

    def _card(self, image: Image) -> Embedding | None:
        if self._as_card:
            found = card_face(self._engine.detect(image))
            shrunk = decode_image(card_like(image, None if isinstance(found, Rejected) else found))
            if shrunk is None:
                return None
            image = shrunk
        found = card_face(self._engine.detect(image))
        return None if isinstance(found, Rejected) else self._engine.embed(image, found)


def score_pairs(
    engine: FaceEngine, embedder: Embedder, pairs: list[Pair], advance: Callable[[], None]
) -> Iterator[tuple[Pair, float]]:
    """Each pair's score, ``-inf`` when a side has no usable face."""
    for pair in pairs:
        live, card = embedder.live(pair.a), embedder.card(pair.b)
        advance()
        yield pair, REJECTED if live is None or card is None else engine.similarity(live, card)


def evaluate(engine: str, scored: list[tuple[Pair, float]], configured: Thresholds) -> Report:
    """Operating points at FAR 1 % and 0.1 % and TAR/FAR at a spread of thresholds (and theirs)."""
    genuine = np.array([s for pair, s in scored if pair.same], np.float64)
    impostor = np.array([s for pair, s in scored if not pair.same], np.float64)
    if not len(genuine) or not len(impostor):
        raise FaceInputError("pairs: need both same-person and different-person pairs")
    no_face = sum(1 for _, s in scored if s == REJECTED)
    points = [_operating_point(genuine, impostor, far) for far in FAR_TARGETS]
    finite = np.concatenate([genuine, impostor])
    finite = finite[np.isfinite(finite)]
    grid = np.linspace(finite.min(), finite.max(), 9) if len(finite) else np.empty(0)
    listed = {configured.match, configured.review} | {
        p.threshold for p in points if p.threshold is not None
    }
    thresholds = sorted({round(float(t), 3) for t in grid} | listed)
    table = [(t, _rate(genuine, t), _rate(impostor, t)) for t in thresholds]
    return Report(engine, genuine, impostor, no_face, points, table)


def _rate(scores: NDArray[np.float64], threshold: float) -> float:
    return round(float(np.mean(scores >= threshold)), 4)


def _operating_point(
    genuine: NDArray[np.float64], impostor: NDArray[np.float64], far_target: float
) -> OperatingPoint:
    """The lowest three-place threshold whose FAR is within the target (``None``: no threshold is).

    Three places because ops copy the number into the config; TAR/FAR are those of that very
    number, so they agree with its row in the table. FAR only drops just above an impostor
    score, so the candidates are the three-place values just above each one (and one that
    accepts every finite score, for when no impostor has to be excluded).
    """
    finite = np.concatenate([genuine, impostor])
    finite = finite[np.isfinite(finite)]
    candidates = {_above(float(s)) for s in impostor[np.isfinite(impostor)]} | {math.inf}
    if len(finite):
        candidates.add(_floor(float(finite.min())))
    threshold = next(t for t in sorted(candidates) if np.mean(impostor >= t) <= far_target)
    reliable = len(impostor) * far_target >= 1
    return OperatingPoint(
        far_target,
        threshold if math.isfinite(threshold) else None,
        _rate(genuine, threshold),
        _rate(impostor, threshold),
        reliable,
    )


def _floor(score: float) -> float:
    return float(Decimal(repr(score)).quantize(PLACES, ROUND_FLOOR))


def _above(score: float) -> float:
    """The smallest three-place number greater than ``score``."""
    return float(Decimal(repr(score)).quantize(PLACES, ROUND_FLOOR) + PLACES)
