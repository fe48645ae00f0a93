"""The kiosk's person check: is the face in front of the camera the face on the card?

Outcomes for the verdict (combined with the verifier's by ``kiosk.face.combine``):
``ok`` FACE_MATCH · ``warn`` FACE_REVIEW, FACE_NOT_FOUND, FACE_MULTIPLE · ``fail`` FACE_MISMATCH ·
``unknown`` FACE_UNAVAILABLE (no camera, no card photo, engine trouble) or FACE_SKIPPED (disabled).
A check never raises: whatever goes wrong becomes ``unknown`` with a plain ``detail``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from typing import Literal

from kiosk.face.camera import Camera
from kiosk.face.compare import Comparison, Stopwatch, find_card, find_live, score_pair
from kiosk.face.config import FaceConfig
from kiosk.face.decision import Rejected
from kiosk.face.engines import FaceEngine, build_engine
from kiosk.face.engines.base import Face, Image
from kiosk.face.errors import PhotoUnavailable
from kiosk.face.photo import CardPhotos
from readers import IdCard

log = logging.getLogger(__name__)

Outcome = Literal["ok", "warn", "fail", "unknown"]
FRAME_POLL_S = 0.02
FIRST_COMPARE_S = 0.3  # time kept for the comparison before a caller's deadline, until measured
COMPARE_MARGIN = 1.5
NO_DECODER_NOTE = (
    "no WLT decoder configured (face.photo.decoder_library): "
    "cards whose reader gives no decoded photo get FACE_UNAVAILABLE"
)

BY_COMPARISON: dict[str, tuple[Outcome, str]] = {
    "match": ("ok", "FACE_MATCH"),
    "review": ("warn", "FACE_REVIEW"),
    "mismatch": ("fail", "FACE_MISMATCH"),
    "no_face": ("warn", "FACE_NOT_FOUND"),
    "multiple_faces": ("warn", "FACE_MULTIPLE"),
}


@dataclasses.dataclass(frozen=True, slots=True)
class PersonCheck:
    """One tap's person result; ``ms`` holds the time of each step and ``total``."""

    outcome: Outcome
    reasons: tuple[str, ...]
    score: float | None = None
    ms: dict[str, float] = dataclasses.field(default_factory=dict)
    detail: str | None = None

    def to_json(self) -> dict[str, object]:
        """The ``person`` object of ``POST /v1/verify``."""
        return {"outcome": self.outcome, "reasons": list(self.reasons)}


def _unavailable(detail: str, clock: Stopwatch) -> PersonCheck:
    return PersonCheck("unknown", ("FACE_UNAVAILABLE",), None, clock.total(), detail)


class PersonChecker:
    """Owns the camera, the engine and the card-photo source for the kiosk daemon."""

    def __init__(
        self,
        config: FaceConfig,
        engine: FaceEngine | None,
        photos: CardPhotos | None,
        camera: Camera | None,
    ) -> None:
        self._config = config
        self._engine = engine
        self._photos = photos
        self._camera = camera
        self._unavailable: str | None = None
        self._compare_s = FIRST_COMPARE_S

    @classmethod
    def from_config(cls, config: FaceConfig) -> PersonChecker:
        """Loads models and the photo decoder now; ``FaceSetupError`` says what is unusable."""
        if not config.enabled:
            return cls(config, None, None, None)
        engine = build_engine(config)
        photos = CardPhotos.from_config(config.photo)
        return cls(config, engine, photos, Camera(config.camera))

    @property
    def camera(self) -> Camera | None:
        """The live camera, shared with the QR scanner (one device, one reader of it)."""
        return self._camera

    async def start(self) -> None:
        if self._camera is not None:
            self._camera.start()

    async def aclose(self) -> None:
        if self._camera is not None:
            await asyncio.to_thread(self._camera.close)

    def status(self) -> dict[str, object]:
        """For the staff status page and the heartbeat's ``camera`` object."""
        if self._engine is None or self._camera is None or self._photos is None:
            return {"camera": "off", "engine": "off", "unavailable_reason": "face check disabled"}
        camera = self._camera.status()
        reason = self._unavailable
        if reason is None and camera["state"] != "ok":
            reason = f"camera: {camera['detail']}"
        if reason is None and self._photos.decoder is None:
            reason = NO_DECODER_NOTE
        return {
            "camera": camera["state"],
            "camera_detail": camera["detail"],
            "engine": self._engine.name,
            "photo_source": self._photos.describe(),
            "unavailable_reason": reason,
        }

    async def check(self, card: IdCard, *, deadline: float | None = None) -> PersonCheck:
        """The person result for ``card``.

        Looks for a usable live frame for at most ``search_s`` and, when the caller has a
        ``deadline`` (a ``time.monotonic()`` instant), stops looking early enough to finish the
        comparison before it — so a tap without a face ends as FACE_NOT_FOUND, not as a timeout.
        """
        if self._engine is None or self._camera is None or self._photos is None:
            return PersonCheck("unknown", ("FACE_SKIPPED",))
        clock = Stopwatch()
        search_until = time.monotonic() + self._config.search_s
        if deadline is not None:
            search_until = min(search_until, deadline - self._compare_s)
        try:
            result = await self._check(
                card, self._engine, self._camera, self._photos, search_until, clock
            )
        except PhotoUnavailable as exc:
            result = _unavailable(str(exc), clock)
        except Exception as exc:  # a check must never take the daemon down
            log.warning("face check failed: %s: %s", type(exc).__name__, exc)
            result = _unavailable(f"face engine error: {type(exc).__name__}", clock)
        self._unavailable = result.detail if result.outcome == "unknown" else None
        return result

    async def _check(
        self,
        card: IdCard,
        engine: FaceEngine,
        camera: Camera,
        photos: CardPhotos,
        search_until: float,
        clock: Stopwatch,
    ) -> PersonCheck:
        start = time.perf_counter()
        card_image = await asyncio.to_thread(photos.image_of, card)
        clock.lap("photo", start)
        live = await self._live_face(engine, camera, search_until, clock)
        found_at = time.perf_counter()
        if isinstance(live, str):
            return _unavailable(live, clock)
        if isinstance(live, Rejected):
            return self._result(Comparison(live.outcome, None, clock.total(), "live", live.detail))
        on_card = await asyncio.to_thread(find_card, engine, card_image, clock)
        if isinstance(on_card, Rejected):
            return _unavailable(on_card.detail, clock)
        thresholds = self._config.thresholds.for_engine(self._config.engine)
        compared = await asyncio.to_thread(
            score_pair, engine, live, (card_image, on_card), thresholds, clock
        )
        self._compare_s = (time.perf_counter() - found_at) * COMPARE_MARGIN
        return self._result(compared)

    async def _live_face(
        self, engine: FaceEngine, camera: Camera, deadline: float, clock: Stopwatch
    ) -> tuple[Image, Face] | Rejected | str:
        """A usable face from the newest frames, the last rejection, or why there is no camera."""
        seen, rejected = 0, None
        while True:
            frame = camera.latest_frame()
            if frame is not None and frame.seq != seen:
                seen = frame.seq
                found = await asyncio.to_thread(
                    find_live, engine, frame.image, self._config.gates, clock
                )
                if not isinstance(found, Rejected):
                    return frame.image, found
                rejected = found
            camera_down = frame is None and camera.status()["detail"] not in (None, "opening")
            if camera_down or time.monotonic() >= deadline:
                if rejected is not None:
                    return rejected
                return f"camera: {camera.status()['detail'] or 'no frame'}"
            start = time.perf_counter()
            await asyncio.sleep(FRAME_POLL_S)
            clock.lap("wait", start)

    @staticmethod
    def _result(compared: Comparison) -> PersonCheck:
        outcome, reason = BY_COMPARISON[compared.outcome]
        return PersonCheck(outcome, (reason,), compared.score, compared.ms, compared.detail)
