"""Face check time on a 640×480 frame, per engine, against DESIGN.md §8 (≤ 400 ms on 2 cores).

One tap costs: YuNet on the camera frame and on the card photo, two embeddings, one comparison
(``compare_images``). The baseline in the same run is ``cv2.resize`` of the same frame to half
size, so the printed ratio travels between machines better than the milliseconds do.
    .venv/bin/python benchmarks/bench_face.py    (needs ../shared: the photos and YuNet)
"""

from __future__ import annotations

import functools
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from rich.console import Console
from rich.table import Table

from kiosk.face.compare import compare_images
from kiosk.face.config import FaceConfig
from kiosk.face.engines import FaceEngine, build_engine
from kiosk.face.errors import FaceSetupError
from kiosk.face.images import card_like, decode_image, read_image

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
BUDGET_MS = 400.0
RUNS = 15
FRAME = (640, 480)


def _median_ms(work: Callable[[], object], runs: int = RUNS) -> tuple[float, float]:
    """Median and worst time in ms after one warm-up call."""
    work()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times)


def _inputs(engine: FaceEngine) -> tuple[np.ndarray, np.ndarray]:
    """A 640×480 camera-like frame of one person and a card-like photo of the same person."""
    faces = SHARED / "testdata" / "faces"
    live = read_image(faces / "biden.jpg")
    face = engine.detect(live)[0]
    scale = 180 / face.w
    small = cv2.resize(live, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    frame = np.zeros((FRAME[1], FRAME[0], 3), np.uint8)
    h, w = min(small.shape[0], FRAME[1]), min(small.shape[1], FRAME[0])
    frame[:h, :w] = small[:h, :w]
    reference = read_image(faces / "biden_biden2.jpg")
    card = decode_image(card_like(reference, engine.detect(reference)[0]))
    assert card is not None
    return frame, card


def run(console: Console) -> list[dict[str, object]]:
    models = {"dir": str(SHARED / "models")}
    base = FaceConfig.model_validate({"engine": "dlib", "models": models})
    try:
        reference_engine = build_engine(base)
    except FaceSetupError as exc:
        console.print(f"face benchmark skipped: {exc}", markup=False)
        return []
    frame, card = _inputs(reference_engine)
    baseline, _ = _median_ms(lambda: cv2.resize(frame, (320, 240)), runs=200)
    rows: list[dict[str, object]] = []
    detect, worst = _median_ms(lambda: reference_engine.detect(frame))
    rows.append({"what": "YuNet detect only", "median_ms": detect, "max_ms": worst})
    for name in ("opencv", "dlib"):
        config = FaceConfig.model_validate({"engine": name, "models": models})
        try:
            engine = build_engine(config)
        except FaceSetupError as exc:
            rows.append({"what": f"{name}: one tap", "unavailable": str(exc)})
            continue
        thresholds = config.thresholds.for_engine(name)
        median, worst = _median_ms(
            functools.partial(compare_images, engine, frame, card, config.gates, thresholds)
        )
        rows.append({"what": f"{name}: one tap", "median_ms": median, "max_ms": worst})
    _print(console, rows, baseline)
    return rows


def _print(console: Console, rows: list[dict[str, object]], baseline: float) -> None:
    table = Table(
        "640×480 face check", "median ms", "max ms", "× baseline", f"≤ {BUDGET_MS:.0f} ms",
        title=f"Face check (baseline cv2.resize to 320×240: {baseline * 1000:.1f} µs)",
    )  # fmt: skip
    notes = []
    for row in rows:
        if "unavailable" in row:
            table.add_row(str(row["what"]), "—", "—", "—", "unavailable")
            notes.append(f"{row['what']} unavailable: {row['unavailable']}")
            continue
        median, worst = float(row["median_ms"]), float(row["max_ms"])  # type: ignore[arg-type]
        verdict = "yes" if median <= BUDGET_MS else "NO"
        table.add_row(
            str(row["what"]), f"{median:.1f}", f"{worst:.1f}", f"{median / baseline:,.0f}", verdict
        )
    console.print(table)
    for note in notes:
        console.print(note, markup=False)


def main() -> None:
    run(Console(soft_wrap=True))


if __name__ == "__main__":
    main()
