"""One live image against one card image: gates, embeddings, score, outcome, timings.

Used by ``yzt face compare`` and, frame by frame, by the kiosk's person check.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Literal

from kiosk.face.config import GatesConfig, Thresholds
from kiosk.face.decision import Rejected, card_face, classify, live_face
from kiosk.face.engines.base import Embedding, Face, FaceEngine, Image

Outcome = Literal["match", "review", "mismatch", "no_face", "multiple_faces"]
Side = Literal["live", "card"]


@dataclasses.dataclass(frozen=True, slots=True)
class Comparison:
    """``score`` is ``None`` when a side has no usable face; ``side`` then says which."""

    outcome: Outcome
    score: float | None
    ms: dict[str, float]
    side: Side | None = None
    detail: str | None = None

    def to_json(self) -> dict[str, object]:
        body: dict[str, object] = {"outcome": self.outcome, "score": self.score, "ms": self.ms}
        if self.side is not None:
            body["side"] = self.side
            body["detail"] = self.detail
        return body


class Stopwatch:
    """Milliseconds per step, summed when a step runs more than once."""

    def __init__(self) -> None:
        self.ms: dict[str, float] = {}
        self._start = time.perf_counter()

    def lap(self, step: str, since: float) -> float:
        now = time.perf_counter()
        self.ms[step] = round(self.ms.get(step, 0.0) + (now - since) * 1000, 2)
        return now

    def total(self) -> dict[str, float]:
        return {**self.ms, "total": round((time.perf_counter() - self._start) * 1000, 2)}


def find_live(
    engine: FaceEngine, image: Image, gates: GatesConfig, clock: Stopwatch
) -> Face | Rejected:
    start = time.perf_counter()
    faces = engine.detect(image)
    clock.lap("detect", start)
    return live_face(faces, image, gates)


def find_card(engine: FaceEngine, image: Image, clock: Stopwatch) -> Face | Rejected:
    start = time.perf_counter()
    faces = engine.detect(image)
    clock.lap("detect", start)
    return card_face(faces)


def score_pair(
    engine: FaceEngine,
    live: tuple[Image, Face],
    card: tuple[Image, Face],
    thresholds: Thresholds,
    clock: Stopwatch,
) -> Comparison:
    start = time.perf_counter()
    live_embedding: Embedding = engine.embed(*live)
    card_embedding: Embedding = engine.embed(*card)
    start = clock.lap("embed", start)
    score = round(engine.similarity(live_embedding, card_embedding), 4)
    clock.lap("compare", start)
    return Comparison(classify(score, thresholds), score, clock.total())


def compare_images(
    engine: FaceEngine, live: Image, card: Image, gates: GatesConfig, thresholds: Thresholds
) -> Comparison:
    """The live image passes the gates, the card image gives its largest face, then the score."""
    clock = Stopwatch()
    found = find_live(engine, live, gates, clock)
    if isinstance(found, Rejected):
        return Comparison(found.outcome, None, clock.total(), "live", found.detail)
    on_card = find_card(engine, card, clock)
    if isinstance(on_card, Rejected):
        return Comparison(on_card.outcome, None, clock.total(), "card", on_card.detail)
    return score_pair(engine, (live, found), (card, on_card), thresholds, clock)
