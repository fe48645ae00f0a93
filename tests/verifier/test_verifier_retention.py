"""The periodic purge inside ``serve``: old events and ended console sessions go, recent events
and live sessions stay, the task keeps running."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select

from verifier.retention import purge_periodically
from verifier.store.events import record_events
from verifier.store.schema import console_sessions, events
from verifier.store.sessions import SESSION_S, start_session
from verifier.store.tokens import add_token, find_token, revoke_token, token_hash

pytest_plugins = ("verifier_fixtures",)


def _event(event_id: str, age_days: int) -> dict[str, object]:
    return {
        "event_id": event_id,
        "kiosk_id": "k",
        "site": "s",
        "at": datetime.now(UTC) - timedelta(days=age_days),
        "verdict": "CHECK",
        "reasons": ["CODE_YELLOW"],
        "source": "online",
        "card_type": "resident",
        "age_band": "18-59",
        "subject": "cd" * 32,
        "latency_ms": 40.0,
    }


def _session(engine: Engine, name: str, age_s: float) -> str:
    token = find_token(engine, add_token(engine, name=name, role="staff"))
    assert token is not None
    return start_session(engine, token.id, now=datetime.now(UTC) - timedelta(seconds=age_s))


async def test_periodic_purge(engine: Engine) -> None:
    record_events(engine, [_event("old", 31), _event("new", 29)])
    _session(engine, "last-shift", SESSION_S + 60)
    _session(engine, "left", 0)
    revoke_token(engine, key="left")
    live = _session(engine, "on-duty", 0)
    runs: list[int] = []
    task = asyncio.create_task(
        purge_periodically(engine, days=30, interval_s=0.05, on_purged=runs.append)
    )
    while len(runs) < 2:
        await asyncio.sleep(0.02)
    record_events(engine, [_event("late", 40)])
    while len(runs) < 4:
        await asyncio.sleep(0.02)
    task.cancel()
    assert runs[0] == 1 and sum(runs) == 2
    with engine.connect() as conn:
        assert conn.execute(select(events.c.event_id)).scalars().all() == ["new"]
        assert conn.execute(select(console_sessions.c.sha256)).scalars().all() == [token_hash(live)]
