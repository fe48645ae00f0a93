"""Retention: events older than ``privacy.retention_days`` are deleted — by ``yzt verifier
purge`` and by a periodic task inside ``serve``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from verifier.store.events import purge_events

log = logging.getLogger("verifier.retention")


async def purge_periodically(
    engine: Engine, *, days: int, interval_s: float, on_purged: Callable[[int], None]
) -> None:
    """Purge now and every ``interval_s``; a failed run is logged and retried next time."""
    while True:
        try:
            removed = await asyncio.to_thread(purge_events, engine, days=days)
        except SQLAlchemyError as exc:
            log.warning("purge failed, retrying in %.0f s: %s", interval_s, type(exc).__name__)
        else:
            on_purged(removed)
            if removed:
                log.info("purged %d events older than %d days", removed, days)
        await asyncio.sleep(interval_s)
