"""Generated verdict events for the stats tests, the stats figures worked out on their own (read
back from the events table with a plain select and counted in Python, sharing no code with
verifier/api/stats.py or the store's queries), and a real verifier process holding the events."""

from __future__ import annotations

import hashlib
import math
import sys
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from datetime import time as clock
from fractions import Fraction
from pathlib import Path
from random import Random
from typing import Any

import httpx
from sqlalchemy import Engine, select
from verifier_helpers import serving, write_config

from verifier.config import load_config
from verifier.store import metadata, open_store
from verifier.store.schema import events
from verifier.store.tokens import add_token

SITES = ("hospital-a", "metro-2", "clinic-b")
DAYS_BACK = (0, 1, 2, 3, 5, 6, 8, 9, 12, 15, 20)
"""Days before today with events: 4, 7, 10, 11… stay quiet; 8 and later fall out of days=7."""
ZONES = (UTC, timezone(timedelta(hours=8)))
TALLIES = ("checks", "pass", "check", "deny", "elder", "offline")
ROLES = ("kiosk", "feeder", "staff", "admin")
YZT = (sys.executable, "-m", "verifier.cli")


def subject(i: int) -> str:
    return hashlib.sha256(f"stats-{i}".encode()).hexdigest()


def latency(rng: Random, source: str) -> float | None:
    """Tap → verdict in ms, about as the kiosks measure it: ~70 ms online, ~25 ms offline, to
    whole or tenth milliseconds (so equal values occur); a few events report none."""
    if rng.random() < 0.06:
        return None
    typical = 70.0 if source == "online" else 25.0
    return round(rng.lognormvariate(math.log(typical), 0.4), rng.choice((0, 1)))


def generated_events(count: int, *, seed: int = 8) -> list[dict[str, Any]]:
    """``count`` events over ``DAYS_BACK``, three sites, mixed verdicts, sources and ages, some
    from unreadable cards and some without a latency (ties included: latencies are rounded)."""
    rng = Random(seed)
    now = datetime.now(UTC)
    rows = []
    for i in range(count):
        zone = rng.choice(ZONES)
        day = now.date() - timedelta(days=rng.choice(DAYS_BACK))
        at = datetime.combine(day, clock(rng.randrange(24), rng.randrange(60)), zone)
        if at > now:
            at = datetime.combine(day, clock(0), zone)
        unreadable = rng.random() < 0.05
        source = rng.choices(("online", "cache", "risklist", "none"), (70, 10, 15, 5))[0]
        rows.append(
            {
                "event_id": f"st-{seed}-{i}",
                "kiosk_id": f"lane-{rng.randint(1, 6)}",
                "site": rng.choice(SITES),
                "at": at.isoformat(),
                "verdict": rng.choices(("PASS", "CHECK", "DENY"), (75, 18, 7))[0],
                "reasons": ["CODE_GREEN"],
                "source": source,
                "card_type": None if unreadable else "resident",
                "age_band": None if unreadable else rng.choice(("0-17", "18-59", "60+", "60+")),
                "subject": None if unreadable else subject(i),
                "latency_ms": latency(rng, source),
            }
        )
    return rows


def stored_events(engine: Engine) -> list[dict[str, Any]]:
    """Every stored event's stats columns, straight from the table."""
    columns = (events.c.day, events.c.site, events.c.verdict, events.c.age_band)
    query = select(*columns, events.c.source, events.c.latency_ms)
    with engine.connect() as conn:
        return [dict(row) for row in conn.execute(query).mappings()]


def nearest_rank_p95(values: list[float]) -> float | None:
    """The value at rank ⌈0.95·n⌉ of the sorted values (exact fractions, no float rounding)."""
    if not values:
        return None
    rank = math.ceil(Fraction(95 * len(values), 100))
    return sorted(values)[rank - 1]


def figures(rows: list[dict[str, Any]]) -> dict[str, Any]:
    checks = len(rows)
    tally = {
        "checks": checks,
        "pass": sum(r["verdict"] == "PASS" for r in rows),
        "check": sum(r["verdict"] == "CHECK" for r in rows),
        "deny": sum(r["verdict"] == "DENY" for r in rows),
        "elder": sum(r["age_band"] == "60+" for r in rows),
        "offline": sum(r["source"] != "online" for r in rows),
    }
    return {
        **tally,
        "elder_share": tally["elder"] / checks if checks else None,
        "offline_share": tally["offline"] / checks if checks else None,
        "p95_ms": nearest_rank_p95([r["latency_ms"] for r in rows if r["latency_ms"] is not None]),
    }


def since_day(days: int | None) -> str | None:
    return (
        None if days is None else (datetime.now(UTC).date() - timedelta(days=days - 1)).isoformat()
    )


def expected(engine: Engine, *, days: int | None, site: str | None) -> dict[str, Any]:
    """``{rows, per_day, totals}`` as the stats should show them for these filters."""
    since = since_day(days)
    kept = [
        r
        for r in stored_events(engine)
        if (since is None or r["day"] >= since) and (site is None or r["site"] == site)
    ]
    cells: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    by_day: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in kept:
        cells[(r["day"], r["site"])].append(r)
        by_day[r["day"]].append(r)
    per_day = []
    if kept:
        first, last = date.fromisoformat(min(by_day)), date.fromisoformat(max(by_day))
        for n in range((last - first).days + 1):
            day = (first + timedelta(days=n)).isoformat()
            per_day.append({"day": day, **figures(by_day.get(day, []))})
    return {
        "rows": [{"day": d, "site": s, **figures(cells[(d, s)])} for d, s in sorted(cells)],
        "per_day": per_day,
        "totals": figures(kept),
    }


@dataclass
class StatsServer:
    url: str
    tokens: dict[str, str]
    engine: Engine

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


@contextmanager
def serving_with_events(tmp: Path, store_url: str, count: int) -> Iterator[StatsServer]:
    """``yzt verifier serve`` on ``store_url`` (emptied first), with ``count`` generated events
    posted through ``/v1/events`` and a token per role."""
    config_path = write_config(tmp / "data", store_url)
    engine = open_store(load_config(config_path).database_url())
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())
    tokens = {role: add_token(engine, name=f"t-{role}", role=role) for role in ROLES}
    try:
        with serving(config_path, tmp / "serve.log") as url:
            served = StatsServer(url, tokens, engine)
            rows = generated_events(count)
            for start in range(0, len(rows), 200):
                batch = {"events": rows[start : start + 200]}
                answer = httpx.post(f"{url}/v1/events", json=batch, headers=served.auth("kiosk"))
                assert answer.json()["accepted"] == len(batch["events"]), answer.text
            yield served
    finally:
        engine.dispose()
