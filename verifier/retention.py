"""Retention: events older than ``privacy.retention_days`` are deleted — by ``yzt verifier
purge`` and by a periodic task inside ``serve``, which also deletes console sessions that can no
longer be used (expired, idle, or of a revoked token). On PostgreSQL the same task, from its
first run at start-up, makes the events' day partitions ahead (verifier/store/partitions.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from verifier.periodic import every
from verifier.store.events import purge_events
from verifier.store.partitions import ensure_ahead
from verifier.store.sessions import purge_sessions

log = logging.getLogger("verifier.retention")


def _purge(engine: Engine, days: int) -> tuple[int, int]:
    if engine.dialect.name == "postgresql":
        ensure_ahead(engine, retention_days=days)
    return purge_events(engine, days=days), purge_sessions(engine)


async def purge_periodically(
    engine: Engine, *, days: int, interval_s: float, on_purged: Callable[[int], None]
) -> None:
    """Purge now and every ``interval_s``; a failed run is logged and retried next time.
    ``on_purged`` is told how many events went."""

    async def purge_logged() -> None:
        try:
            removed, sessions = await asyncio.to_thread(_purge, engine, days)
        except SQLAlchemyError as exc:
            log.warning("purge failed, retrying in %.0f s: %s", interval_s, type(exc).__name__)
            return
        on_purged(removed)
        if removed:
            log.info("purged %d events older than %d days", removed, days)
        if sessions:
            log.info("purged %d ended console sessions", sessions)

    await every(interval_s, purge_logged)
