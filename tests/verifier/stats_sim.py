"""Generated verdict events for the stats tests, the stats figures worked out on their own (read
back from the events table with a plain select and counted in Python, sharing no code with
verifier/api/stats.py or the store's queries), and a real verifier process holding the events.

Each event is posted with its own kiosk's token (a kiosk token speaks for one kiosk and site)."""

from __future__ import annotations

import hashlib
import math
import sys
from collections import defaultdict
from collections.abc import Callable, Iterator
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
from verifier.store.events import record_events
from verifier.store.schema import events
from verifier.store.tokens import add_token

SITES = ("hospital-a", "metro-2", "clinic-b")
DAYS_BACK = (0, 1, 2, 3, 5, 6, 8, 9, 12, 15, 20)
"""Days before today with events: 4, 7, 10, 11… stay quiet; 8 and later fall out of days=7."""
ZONES = (UTC, timezone(timedelta(hours=8)))
TALLIES = ("checks", "pass", "check", "deny", "elder", "offline")
ROLES = ("feeder", "staff", "admin")
RETENTION_DAYS = 30  # the tests' configs keep the default
CLOCK_SKEW_S = 3600
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


def window(days: int | None) -> tuple[str, str]:
    """(first, last) day shown: the last ``days`` days or, without, retention's days and one
    more (a kiosk's date may be behind UTC's); up to a day past the clock skew's."""
    now = datetime.now(UTC)
    back = timedelta(days=RETENTION_DAYS + 1) if days is None else timedelta(days=days - 1)
    last = (now + timedelta(seconds=CLOCK_SKEW_S, days=1)).date()
    return (now - back).date().isoformat(), last.isoformat()


def expected(engine: Engine, *, days: int | None, site: str | None) -> dict[str, Any]:
    """``{rows, per_day, totals}`` as the stats should show them for these filters; ``per_day``
    has the days with events only."""
    first, last = window(days)
    kept = [
        r
        for r in stored_events(engine)
        if first <= r["day"] <= last and (site is None or r["site"] == site)
    ]
    cells: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    by_day: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in kept:
        cells[(r["day"], r["site"])].append(r)
        by_day[r["day"]].append(r)
    return {
        "rows": [{"day": d, "site": s, **figures(cells[(d, s)])} for d, s in sorted(cells)],
        "per_day": [{"day": d, **figures(by_day[d])} for d in sorted(by_day)],
        "totals": figures(kept),
    }


def every_day(per_day: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The charts' days: ``per_day`` with the quiet days between its first and last as zeros."""
    if not per_day:
        return []
    known = {d["day"]: d for d in per_day}
    first, last = date.fromisoformat(per_day[0]["day"]), date.fromisoformat(per_day[-1]["day"])
    days = [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]
    return [known.get(day, {"day": day, **figures([])}) for day in days]


def post_as_kiosks(
    post: Callable[[list[dict[str, Any]], str], Any], rows: list[dict[str, Any]], batch: int
) -> None:
    """``post(events, kiosk_key)`` for each kiosk's events in batches, ``kiosk_key`` being
    ``"KIOSK@SITE"``: a kiosk token may post its own kiosk's events only."""
    by_kiosk: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_kiosk[f"{row['kiosk_id']}@{row['site']}"].append(row)
    for key, own in sorted(by_kiosk.items()):
        for start in range(0, len(own), batch):
            post(own[start : start + batch], key)


def legacy_events() -> list[dict[str, Any]]:
    """Events of year 1 and year 9999, as stored before event times were checked (written
    around the API): no stats window may reach them."""
    return [
        {
            **generated_events(1, seed=year)[0],
            "event_id": f"legacy-{year}",
            "at": datetime(year, 6, 1, 12, tzinfo=UTC),
        }
        for year in (1, 9999)
    ]


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
    posted through ``/v1/events``, the ``legacy_events`` beside them, and a token per role."""
    config_path = write_config(tmp / "data", store_url)
    engine = open_store(load_config(config_path).database_url())
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())
    tokens = {role: add_token(engine, name=f"t-{role}", role=role) for role in ROLES}
    try:
        with serving(config_path, tmp / "serve.log") as url:
            served = StatsServer(url, tokens, engine)

            def post(batch: list[dict[str, Any]], kiosk: str) -> None:
                if kiosk not in tokens:
                    kiosk_id, site = kiosk.split("@")
                    tokens[kiosk] = add_token(
                        engine, name=kiosk_id, role="kiosk", kiosk_id=kiosk_id, site=site
                    )
                body = {"events": batch}
                answer = httpx.post(f"{url}/v1/events", json=body, headers=served.auth(kiosk))
                assert answer.json()["accepted"] == len(batch), answer.text

            post_as_kiosks(post, generated_events(count), 200)
            record_events(engine, legacy_events())
            tokens["kiosk"] = tokens[min(k for k in tokens if "@" in k)]
            yield served
    finally:
        engine.dispose()
