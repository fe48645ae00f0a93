"""``every``: the verifier's "now, then every N seconds" loops (risk-list publishing, retention).

Each next run starts ``interval_s`` after the previous one ended, so a slow run never piles up
runs behind it. The loop ends when its task is cancelled or ``job`` raises: a job decides itself
which failures it logs and outlives. ``sleep`` is there for tests, which step the loop without
waiting in real time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

Sleep = Callable[[float], Awaitable[object]]


async def every(
    interval_s: float, job: Callable[[], Awaitable[object]], *, sleep: Sleep = asyncio.sleep
) -> None:
    """Await ``job()`` now and again ``interval_s`` after each run, until cancelled."""
    while True:
        await job()
        await sleep(interval_s)
