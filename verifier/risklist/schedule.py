"""Publishing inside ``serve``: a new risk-list version now and every ``interval_s``, so travel
entries age out and kiosks see a live version even when no feed arrived."""

from __future__ import annotations

import asyncio

from verifier.periodic import every
from verifier.risklist.publisher import Publisher


async def publish_periodically(publisher: Publisher, *, interval_s: float) -> None:
    """Publish now and every ``interval_s`` in a worker thread; a failed run is logged by the
    publisher and simply retried next time."""
    await every(interval_s, lambda: asyncio.to_thread(publisher.publish))
