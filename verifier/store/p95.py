"""The stats' p95s at 10^7 events and more, exactly the nearest-rank p95 of verifier/store/events.py
(issue 14): the window's from one latency bucket, each day's and each day and site's from a
cache that only today's groups and groups with late events miss.

**Window**: a percentile cannot be summed from smaller groups, but a histogram can.
``event_latencies`` counts the events of each day and site per latency bucket
(verifier/store/latency.py), kept in step with the events; summed over the window it gives n and,
counting from the slowest bucket, the one bucket the p95 is in and how many slower events lie
above it. The p95 is then read from that bucket's range of the latency index alone (about 0.3 %
of the window's events instead of 5 %). Both reads share one snapshot, so n, the histogram and
the events agree.

**Days and days × sites**: a group only gains events until the purge, so its p95 is still the one
computed over ``timed`` events while its tallies count ``timed`` (``event_p95s``). A miss — a new
group, one that gained events since — is read as before (``latency_p95``) and stored only if the
tallies still count the same n when it is written: an event stored meanwhile would have raised
the count, and the write holds the group's tally rows (``FOR KEY SHARE`` on PostgreSQL; SQLite
writes one at a time) so that the purge, which deletes a day's cached p95s after its tallies,
cannot slip between the check and the write.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Engine,
    Float,
    String,
    bindparam,
    cast,
    func,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError

from verifier.store.events import latency_p95, slower_than_p95, unindexed
from verifier.store.latency import bucket_bounds
from verifier.store.schema import event_latencies, event_p95s, event_tallies, events

log = logging.getLogger("verifier.store")
ALL_SITES = ""
"""The ``site`` of a whole day's group (a site name has at least one character)."""

Group = tuple[str, str]


def group_p95s(engine: Engine, groups: Mapping[Group, int]) -> dict[Group, float]:
    """p95 of each (day, site) group — site ``ALL_SITES`` for the whole day — given how many of
    its events have a latency (summed from the tallies): cached where the count matches, read
    and cached otherwise. Groups without a timed event are absent."""
    wanted = {group: n for group, n in groups.items() if n > 0}
    if not wanted:
        return {}
    days = [day for day, _ in wanted]
    p = event_p95s.c
    cached = select(p.day, p.site, p.timed, p.p95_ms).where(p.day >= min(days), p.day <= max(days))
    with engine.connect() as conn:
        found = {(r.day, r.site): (r.timed, r.p95_ms) for r in conn.execute(cached)}
    answer = {g: found[g][1] for g, n in wanted.items() if found.get(g, (None,))[0] == n}
    misses = {g: n for g, n in wanted.items() if g not in answer}
    cells = {g: n for g, n in misses.items() if g[1] != ALL_SITES}
    whole_days = {(g[0],): n for g, n in misses.items() if g[1] == ALL_SITES}
    read = _read(engine, cells, ("day", "site"))
    read |= {(day, ALL_SITES): v for (day,), v in _read(engine, whole_days, ("day",)).items()}
    store_p95s(engine, [(group, misses[group], value) for group, value in read.items()])
    return answer | read


def _read(engine: Engine, sizes: Mapping[Any, int], by: tuple[str, ...]) -> dict[Any, float]:
    """The groups' p95s read from the events, within the days they span."""
    if not sizes:
        return {}
    days = [key[0] for key in sizes]
    return latency_p95(engine, by=by, since_day=min(days), until_day=max(days), sizes=sizes)


def store_p95s(engine: Engine, computed: list[tuple[Group, int, float]]) -> None:
    """Cache each (group, n, p95) whose tallies still count n timed events, holding those tally
    rows until the write commits. Only a cache: if the write loses a deadlock to the purge
    (which deletes tally rows of the oldest days) or SQLite stays busy, the answer stands and
    the next one caches."""
    if not computed:
        return
    rows = [{"g_day": g[0], "g_site": g[1], "g_timed": n, "g_p95": v} for g, n, v in computed]
    try:
        _store(engine, rows)
    except OperationalError as exc:
        log.warning("stats: p95s not cached this time: %s", str(exc.orig).splitlines()[0])


def _store(engine: Engine, rows: list[dict[str, Any]]) -> None:
    t = event_tallies.c
    with engine.begin() as conn:
        for whole_day in (False, True):
            batch = [row for row in rows if (row["g_site"] == ALL_SITES) == whole_day]
            if not batch:
                continue
            held = select(t.timed).where(t.day == bindparam("g_day"))
            if not whole_day:
                held = held.where(t.site == bindparam("g_site"))
            held_rows = held.with_for_update(read=True, key_share=True).subquery()
            counted = select(func.coalesce(func.sum(held_rows.c.timed), 0)).scalar_subquery()
            timed = cast(bindparam("g_timed"), BigInteger)
            source = select(
                cast(bindparam("g_day"), String),
                cast(bindparam("g_site"), String),
                timed,
                cast(bindparam("g_p95"), Float),
            ).where(counted == timed)
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            add = dialect.insert(event_p95s).from_select(["day", "site", "timed", "p95_ms"], source)
            add = add.on_conflict_do_update(
                index_elements=["day", "site"],
                set_={"timed": add.excluded.timed, "p95_ms": add.excluded.p95_ms},
            )
            conn.execute(add, batch)


def window_p95(
    engine: Engine, *, since_day: str | None, until_day: str | None, site: str | None
) -> float | None:
    """p95 of every timed event of the window (and site): its bucket from ``event_latencies``,
    its value read within that bucket."""
    h = event_latencies.c
    where = []
    if since_day is not None:
        where.append(h.day >= since_day)
    if until_day is not None:
        where.append(h.day <= until_day)
    if site is not None:
        where.append(h.site == site)
    histogram = (
        select(h.bucket, cast(func.sum(h.events), BigInteger))
        .where(*where)
        .group_by(h.bucket)
        .order_by(h.bucket.desc())
    )
    with _snapshot(engine) as conn:
        counts = [(bucket, int(n)) for bucket, n in conn.execute(histogram)]
        skip = slower_than_p95(sum(n for _, n in counts))
        for bucket, n in counts:
            if skip < n:
                return _read_in_bucket(conn, bucket, skip, since_day, until_day, site)
            skip -= n
    return None


def _read_in_bucket(
    conn: Connection,
    bucket: int,
    skip: int,
    since_day: str | None,
    until_day: str | None,
    site: str | None,
) -> float | None:
    """The latency with ``skip`` slower ones in ``bucket`` within the window, read along the
    index that starts with the latency (SQLite is kept off the day and site indexes, which would
    make it sort the window)."""
    lo, hi = bucket_bounds(bucket)
    latency = events.c.latency_ms
    pg = conn.dialect.name == "postgresql"
    day = events.c.day if pg else unindexed(events.c.day)
    where: list[ColumnElement[bool]] = [latency.is_not(None)]
    if not math.isinf(lo):
        where.append(latency >= lo)
    if not math.isinf(hi):
        where.append(latency < hi)
    if since_day is not None:
        where.append(day >= since_day)
    if until_day is not None:
        where.append(day <= until_day)
    if site is not None:
        where.append((events.c.site if pg else unindexed(events.c.site)) == site)
    query = select(latency).where(*where).order_by(latency.desc()).limit(1).offset(skip)
    value = conn.execute(query).scalar()
    return None if value is None else float(value)


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection whose reads all see one snapshot: a REPEATABLE READ transaction on
    PostgreSQL; on SQLite an explicit ``BEGIN`` (the driver begins none for reads), which a
    WAL reader keeps one snapshot through, rolled back when the connection closes."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        else:
            conn.exec_driver_sql("BEGIN")
        yield conn
