"""Publishing inside ``serve``: a new risk-list version now and every ``interval_s``, so travel
entries age out and kiosks see a live version even when no feed arrived. Two replicas publishing
at once cannot both win: the version number is the primary key, the loser's transaction rolls
back and it simply tries again next round."""

from __future__ import annotations

import asyncio
import logging

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from verifier.risklist.build import publish

log = logging.getLogger("verifier.risklist")


async def publish_periodically(
    engine: Engine, key: Ed25519PrivateKey, *, interval_s: float, travel_window_days: int = 14
) -> None:
    """Publish now and every ``interval_s``; a failed run is logged and retried next time."""
    while True:
        try:
            result = await asyncio.to_thread(
                publish, engine, key, travel_window_days=travel_window_days
            )
        except SQLAlchemyError as exc:
            log.warning("risk-list publish failed, retrying: %s", type(exc).__name__)
        else:
            log.info(
                "risk list version %d: %d listed, %d changed",
                result.version,
                result.entries,
                result.changes,
            )
        await asyncio.sleep(interval_s)
