"""Glue between the tap and ``kiosk.face``: a bounded person check and the ``[face]`` policy.

Imported only when ``[face] enabled`` (it pulls in OpenCV).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time

from kiosk.decision import Decision
from kiosk.face.camera import Camera
from kiosk.face.checker import PersonCheck, PersonChecker
from kiosk.face.combine import combine
from kiosk.face.config import FaceConfig
from readers import IdCard

log = logging.getLogger(__name__)

OVERRUN_S = 0.1
UNAVAILABLE = PersonCheck("unknown", ("FACE_UNAVAILABLE",), detail="face check took too long")


class FaceHook:
    def __init__(self, config: FaceConfig, checker: PersonChecker | None = None) -> None:
        self.config = config
        self.checker = checker or PersonChecker.from_config(config)

    @property
    def camera(self) -> Camera | None:
        """The face check's camera, which the QR scanner reads too."""
        return self.checker.camera

    async def start(self) -> None:
        await self.checker.start()

    async def check(self, card: IdCard, timeout_s: float) -> PersonCheck:
        """The person result within ``timeout_s``; ``FACE_UNAVAILABLE`` if it overruns anyway."""
        deadline = time.monotonic() + timeout_s
        try:
            async with asyncio.timeout(timeout_s + OVERRUN_S):
                return await self.checker.check(card, deadline=deadline)
        except TimeoutError:
            return UNAVAILABLE

    def apply(self, decision: Decision, person: PersonCheck) -> Decision:
        combined = combine(decision.verdict, decision.reasons, person, self.config.policy)
        return dataclasses.replace(decision, verdict=combined.verdict, reasons=combined.reasons)

    def status(self) -> dict[str, object]:
        return self.checker.status()

    async def aclose(self) -> None:
        await self.checker.aclose()
