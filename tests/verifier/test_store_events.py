"""Event ingestion under concurrency: several replicas storing overlapping batches at once
(a retried upload landing on another replica, two kiosks' outboxes) store each event once,
count it once in the tallies, and never deadlock, on both backends."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select

from verifier.store.events import count_events, day_site_counts, record_events
from verifier.store.schema import events

pytest_plugins = ("verifier_fixtures",)

NOW = datetime.now(UTC) - timedelta(minutes=5)


def event(n: int) -> dict[str, Any]:
    return {
        "event_id": f"ev-{n:05d}",
        "kiosk_id": f"k{n % 3}",
        "site": ("hospital-a", "metro-b")[n % 2],
        "at": NOW - timedelta(days=n % 3),
        "verdict": ("PASS", "CHECK", "DENY")[n % 3],
        "reasons": ["CODE_GREEN"] if n % 3 == 0 else ["CODE_YELLOW", "TRAVEL_RISK"],
        "source": ("online", "cache", "risklist")[n % 3],
        "card_type": "resident" if n % 5 else None,
        "age_band": "60+" if n % 4 else None,
        "subject": hashlib.sha256(str(n).encode()).hexdigest() if n % 7 else None,
        "latency_ms": float(n % 50) if n % 6 else None,
    }


def test_overlapping_batches_from_many_writers_store_each_event_once(engine: Engine) -> None:
    """Eight writers each send batches that overlap their neighbours', half of them in reverse
    order: the accepted counts add up to the distinct events, the rest are duplicates, and the
    tallies agree with the table."""
    total = 400
    batches = [
        [event(n) for n in range(start, min(start + 100, total))] for start in range(0, total, 50)
    ]
    batches += [list(reversed(b)) for b in batches]  # every event sent 4 times
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda b: record_events(engine, [dict(e) for e in b]), batches))
    assert sum(accepted for accepted, _ in answers) == total
    assert sum(a + d for a, d in answers) == sum(len(b) for b in batches)
    with engine.connect() as conn:
        assert conn.execute(select(func.count(func.distinct(events.c.event_id)))).scalar() == total
        kept = conn.execute(select(events).where(events.c.event_id == "ev-00035")).one()
    assert kept.reasons == ["CODE_YELLOW", "TRAVEL_RISK"]
    assert (kept.card_type, kept.age_band, kept.subject) == ("unknown", "60+", None)
    assert kept.latency_ms == 35.0 and kept.source == "risklist"
    assert count_events(engine) == total
    assert sum(row["checks"] for row in day_site_counts(engine)) == total
    assert sum(row["offline"] for row in day_site_counts(engine)) == sum(
        event(n)["source"] != "online" for n in range(total)
    )


def test_a_resent_batch_changes_nothing(engine: Engine) -> None:
    batch = [event(n) for n in range(30)]
    assert record_events(engine, [dict(e) for e in batch]) == (30, 0)
    before = day_site_counts(engine)
    assert record_events(engine, [dict(e) for e in batch + batch[:5]]) == (0, 35)
    assert day_site_counts(engine) == before
