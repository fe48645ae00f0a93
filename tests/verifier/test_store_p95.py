"""The stats' fast p95s (verifier/store/p95.py) equal the plain nearest-rank definition on
randomized events, on both backends: when the cache is cold and warm, after late events land on
days already cached, after a purge, and after late events that bring a purged day back to the
count it was cached at. The latency buckets are the same in Python, in each backend's insert and
in its recount, and each is exactly the range the window's read takes from the index."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select
from stats_sim import nearest_rank_p95

from verifier.store.events import day_site_counts, purge_events, record_events, recount_tallies
from verifier.store.latency import TOP_BUCKET, bucket_bounds, latency_bucket
from verifier.store.p95 import ALL_SITES, group_p95s, store_p95s, window_p95
from verifier.store.schema import event_latencies, event_p95s, events

pytest_plugins = ("verifier_fixtures",)

NOW = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
SITES = ("a", "b", "c")
EDGES = [0.0, 0.5, 1.0, 63.999, 64.0, 127.9, 128.0, 129.0, 255.99, 256.0, 3_600_000.0]


def taps(rng: random.Random, count: int, days: range, prefix: str) -> list[dict[str, Any]]:
    """Events over ``days`` (days back from NOW) at three sites: latencies on the kiosks'
    0.1 ms grid (so ties), some arbitrary floats and bucket edges, some without a latency."""
    rows = []
    for n in range(count):
        kind = rng.random()
        if kind < 0.08:
            latency = None
        elif kind < 0.12:
            latency = rng.choice(EDGES)
        elif kind < 0.3:
            latency = rng.uniform(0, 400)
        else:
            latency = round(rng.lognormvariate(math.log(60), 0.5), 1)
        rows.append(
            {
                "event_id": f"{prefix}-{n:05d}",
                "kiosk_id": "k1",
                "site": rng.choice(SITES),
                "at": NOW - timedelta(days=rng.choice(days), minutes=rng.randrange(600)),
                "verdict": "PASS",
                "reasons": ["CODE_GREEN"],
                "source": "online",
                "card_type": "resident",
                "age_band": "18-59",
                "subject": None,
                "latency_ms": latency,
            }
        )
    return rows


def stored(engine: Engine) -> list[tuple[str, str, float]]:
    with engine.connect() as conn:
        query = select(events.c.day, events.c.site, events.c.latency_ms)
        return [tuple(r) for r in conn.execute(query) if r.latency_ms is not None]


def assert_equal_to_definition(engine: Engine) -> None:
    """Every group's and every window's p95 as the stats compute them, against the sorted
    latencies of the events table."""
    rows = stored(engine)
    days = sorted({day for day, _, _ in rows})
    cells = day_site_counts(engine)
    groups = {(c["day"], c["site"]): c["timed"] for c in cells}
    for day in {c["day"] for c in cells}:
        groups[(day, ALL_SITES)] = sum(c["timed"] for c in cells if c["day"] == day)
    want = {
        (day, site): nearest_rank_p95(
            [v for d, s, v in rows if d == day and site in (s, ALL_SITES)]
        )
        for day, site in groups
    }
    assert group_p95s(engine, groups) == {g: v for g, v in want.items() if v is not None}
    for since in [None, *days[1:3]]:
        for site in (None, *SITES):
            value = window_p95(engine, since_day=since, until_day=days[-1], site=site)
            inside = [v for d, s, v in rows if (since is None or d >= since) and site in (s, None)]
            assert value == nearest_rank_p95(inside), (since, site)


def cached(engine: Engine) -> dict[tuple[str, str], int]:
    with engine.connect() as conn:
        p = event_p95s.c
        return {(r.day, r.site): r.timed for r in conn.execute(select(p.day, p.site, p.timed))}


@pytest.mark.parametrize("seed", [1, 2])
def test_the_p95s_equal_the_definition_through_late_events_and_purges(
    engine: Engine, seed: int
) -> None:
    rng = random.Random(seed)
    record_events(engine, taps(rng, 600, range(6), "first"))
    assert_equal_to_definition(engine)
    warm = cached(engine)
    assert len(warm) == len({(d, s) for d, s, _ in stored(engine)}) + 6, "every group cached"
    assert_equal_to_definition(engine)
    assert cached(engine) == warm

    record_events(engine, taps(rng, 40, range(2, 5), "late"))  # a kiosk back online
    assert_equal_to_definition(engine)

    purged = purge_events(engine, days=4, now=NOW + timedelta(hours=rng.randrange(24)))
    assert purged > 0
    assert_equal_to_definition(engine)


def test_a_purged_day_brought_back_to_its_cached_count_is_read_again(engine: Engine) -> None:
    """A day whose p95 is cached loses its early taps to the purge (SQLite deletes by instant;
    PostgreSQL drops the day) and then gets as many late taps as it lost: the count matches the
    cached one, but the p95 must be the new events'."""
    day = NOW - timedelta(days=3)
    early = [{**t, "at": day.replace(hour=1), "latency_ms": 900.0} for t in taps_n(5, "early")]
    later = [{**t, "at": day.replace(hour=20), "latency_ms": 10.0} for t in taps_n(15, "later")]
    record_events(engine, early + later)
    key = (day.date().isoformat(), "a")
    assert group_p95s(engine, {key: 20}) == {key: 900.0}
    whole_day = engine.dialect.name == "postgresql"
    purge_events(engine, days=30, now=day.replace(hour=2) + timedelta(days=30 + whole_day))
    back = [{**t, "at": day.replace(hour=21), "latency_ms": 20.0} for t in taps_n(20, "back")]
    kept = sum(1 for d, _, _ in stored(engine) if d == key[0])
    record_events(engine, back[: 20 - kept])
    assert sum(c["timed"] for c in day_site_counts(engine)) == 20
    want = nearest_rank_p95([v for d, _, v in stored(engine) if d == key[0]])
    assert group_p95s(engine, {key: 20}) == {key: want}
    assert want != 900.0


def taps_n(count: int, prefix: str) -> list[dict[str, Any]]:
    return [{**t, "site": "a"} for t in taps(random.Random(0), count, range(1), prefix)]


def test_a_p95_is_cached_only_while_its_count_holds(engine: Engine) -> None:
    """A value computed over n events is not stored once the group counts another n."""
    record_events(engine, taps_n(10, "x"))
    (cell,) = day_site_counts(engine)
    key = (cell["day"], "a")
    store_p95s(engine, [(key, cell["timed"] + 1, 1.0), ((cell["day"], ALL_SITES), 3, 2.0)])
    assert cached(engine) == {}
    store_p95s(engine, [(key, cell["timed"], 5.0)])
    assert cached(engine) == {key: cell["timed"]}


def test_buckets_are_the_same_everywhere_and_exactly_their_ranges(engine: Engine) -> None:
    """Latencies around every bucket edge and at random: Python's bucket is the range
    ``bucket_bounds`` gives, and the stored histogram (the backend's insert, then its recount)
    counts the same buckets."""
    rng = random.Random(5)
    values = [rng.uniform(0, 2000) for _ in range(300)] + [float(2**30 + 3), 2.0**33]
    for bucket in [*range(0, 200), *range(200, TOP_BUCKET + 1, 37)]:
        lo, hi = bucket_bounds(bucket)
        for edge in (lo, hi):
            if math.isfinite(edge) and edge >= 0:
                values += [edge, math.nextafter(edge, -math.inf), math.nextafter(edge, math.inf)]
    for value in values:
        lo, hi = bucket_bounds(latency_bucket(value))
        assert lo <= value < hi, value
    rows = [
        {**t, "event_id": f"v-{i}", "latency_ms": v}
        for i, (t, v) in enumerate(zip(taps_n(len(values), "v"), values, strict=True))
    ]
    record_events(engine, [r for r in rows if r["latency_ms"] <= 3_600_000])
    record_events(engine, [r for r in rows if r["latency_ms"] > 3_600_000])
    want: dict[int, int] = {}
    for value in values:
        want[latency_bucket(value)] = want.get(latency_bucket(value), 0) + 1

    def histogram() -> dict[int, int]:
        with engine.connect() as conn:
            h = event_latencies.c
            return {r.bucket: r.events for r in conn.execute(select(h.bucket, h.events))}

    assert histogram() == want
    recount_tallies(engine)
    assert histogram() == want
