"""Verdict events: stored once per event id, counted for stats, purged after retention.

The stats read counts and latencies only, never a subject. Counts come from ``event_tallies``
(per day, site, verdict and age band: how many, how many decided offline, how many with a
latency), which every insert and purge updates in its own transaction, so a stats answer reads
a few thousand rows however many events are kept.

p95 is the **nearest-rank** percentile: of the n latencies of a group sorted ascending, the one
at rank r = ⌈0.95·n⌉ (1-based) — always a latency that was measured, and the same on SQLite and
PostgreSQL (integer arithmetic only). n comes from the tallies; the value is then the
(n − r + 1)-th slowest, read from an index on latency from the slow end, so a group costs its
slowest 5 % and not a sort of all its events. (n and the read are two statements: a tap stored
between them moves that p95 by at most one rank, for that one answer.) The stats read most of
their p95s without even that: verifier/store/p95.py keeps the groups' values and finds the
window's in one bucket of ``event_latencies``, a histogram kept in step here like the tallies.

On PostgreSQL ``events`` is partitioned by ``day`` (verifier/store/partitions.py, revision
0121), and a unique key must hold the partition key: an event is stored once per (event_id,
day). ``day`` is the local date of ``at`` as the kiosk sent it, and a kiosk resends an event
with the same id and ``at``, so a resend is still a duplicate; only one id sent with two
different dates would be stored twice (SQLite, keyed by event_id alone, would keep the first).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic_core import to_json
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Engine,
    Integer,
    Select,
    String,
    bindparam,
    case,
    cast,
    delete,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import UnaryExpression
from sqlalchemy.sql.operators import custom_op

from verifier.store.latency import bucket_sql, latency_bucket
from verifier.store.partitions import (
    drop_partitions_before,
    ensure_partitions,
    is_missing_partition,
)
from verifier.store.schema import event_latencies, event_p95s, event_tallies, events
from verifier.timeutil import utcnow

UNKNOWN = "unknown"  # card type / age band of a tap whose card could not be read
TALLY_KEY = ("day", "site", "verdict", "age_band")
TALLY_COUNTS = ("events", "offline", "timed")

Key = tuple[str, ...]


def record_events(engine: Engine, rows: list[dict[str, Any]]) -> tuple[int, int]:
    """Insert the events whose ids are new → (accepted, duplicates), and count the accepted
    ones into the tallies in the same transaction. Safe under concurrency: the insert ignores
    ids another replica stored a moment ago, and takes ids in sorted order, so two writers of
    overlapping batches wait for each other instead of deadlocking. An unreadable card's event
    has no subject (NULL) and ``unknown`` card type and age band."""
    unique = sorted({row["event_id"]: row for row in rows}.values(), key=lambda r: r["event_id"])
    received = utcnow()
    for row in unique:
        row["day"] = row["at"].date().isoformat()
        row["card_type"] = row.get("card_type") or UNKNOWN
        row["age_band"] = row.get("age_band") or UNKNOWN
        row["received_at"] = received
    if not unique:
        return 0, len(rows)
    if engine.dialect.name == "postgresql":
        stored = _insert_postgresql(engine, unique)
        return stored, len(rows) - stored
    statement = sqlite.insert(events).on_conflict_do_nothing(index_elements=["event_id"])
    with engine.begin() as conn:
        ids = set(conn.execute(statement.returning(events.c.event_id), unique).scalars())
        _add_tallies(conn, [row for row in unique if row["event_id"] in ids], sign=1)
    return len(ids), len(rows) - len(ids)


PG_COLUMNS = {
    "event_id": "text",
    "kiosk_id": "text",
    "site": "text",
    "at": "timestamptz",
    "day": "text",
    "verdict": "text",
    "reasons": "json",
    "source": "text",
    "card_type": "text",
    "age_band": "text",
    "subject": "text",
    "latency_ms": "float8",
    "received_at": "timestamptz",
}
PG_VALUES = {"subject": "decode(subject, 'hex')"}
"""Columns stored as other than the JSON gives them: the subject's hex as its 32 bytes."""
_KEY = ", ".join(TALLY_KEY)
PG_INSERT = text(
    f"""
    WITH new AS (
        INSERT INTO events ({", ".join(PG_COLUMNS)})
        SELECT {", ".join(PG_VALUES.get(c, c) for c in PG_COLUMNS)}
        FROM json_to_recordset(CAST(:batch AS json))
            AS batch({", ".join(f"{c} {t}" for c, t in PG_COLUMNS.items())})
        ON CONFLICT (event_id, day) DO NOTHING
        RETURNING {_KEY}, source, latency_ms
    ), tallied AS (
        INSERT INTO event_tallies ({_KEY}, {", ".join(TALLY_COUNTS)})
        SELECT {_KEY}, count(*), count(*) FILTER (WHERE source <> 'online'), count(latency_ms)
        FROM new GROUP BY {_KEY} ORDER BY {_KEY}
        ON CONFLICT ({_KEY}) DO UPDATE SET
        {", ".join(f"{n} = event_tallies.{n} + excluded.{n}" for n in TALLY_COUNTS)}
    ), bucketed AS (
        INSERT INTO event_latencies (day, site, bucket, events)
        SELECT day, site, {bucket_sql("latency_ms", "postgresql")}, count(*)
        FROM new WHERE latency_ms IS NOT NULL GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (day, site, bucket) DO UPDATE SET
        events = event_latencies.events + excluded.events
    )
    SELECT count(*) FROM new
    """
)
"""One round trip for a whole batch on PostgreSQL: the batch as one JSON parameter (rendered
by pydantic-core: far cheaper than adapting thirteen arrays), the new events inserted, their
tallies and latency buckets added in key order (two writers lock those rows in the same
order), the count of new events returned. A row-per-parameter-set insert with RETURNING stored
7,800 events/s from one writer; this stores about 40,000 (docs/performance.md)."""


def _insert_postgresql(engine: Engine, rows: list[dict[str, Any]]) -> int:
    """The batch in one transaction; if a day of it has no partition yet (a kiosk back after a
    long outage, a clock ahead), nothing was stored: its partitions are made and the batch
    inserted again."""
    batch = to_json([{name: row.get(name) for name in PG_COLUMNS} for row in rows]).decode()
    try:
        with engine.begin() as conn:
            return int(conn.execute(PG_INSERT, {"batch": batch}).scalar_one())
    except IntegrityError as exc:
        if not is_missing_partition(exc):
            raise
    ensure_partitions(engine, {row["day"] for row in rows})
    with engine.begin() as conn:
        return int(conn.execute(PG_INSERT, {"batch": batch}).scalar_one())


def _add_tallies(conn: Connection, rows: Sequence[Any], *, sign: int) -> None:
    """Count ``rows`` (mappings with the tally key, ``source`` and ``latency_ms``) into the
    tallies and latency buckets (``sign`` 1) or out of them (-1): one upsert each adding signed
    counts, in key order so that two writers lock rows in the same order; rows counted down to
    0 go."""
    changes: dict[Key, list[int]] = {}
    buckets: dict[tuple[str, str, int], int] = {}
    for row in rows:
        counts = changes.setdefault(tuple(row[name] for name in TALLY_KEY), [0, 0, 0])
        counts[0] += sign
        counts[1] += sign * (row["source"] != "online")
        if row.get("latency_ms") is not None:
            counts[2] += sign
            bucket = (row["day"], row["site"], latency_bucket(row["latency_ms"]))
            buckets[bucket] = buckets.get(bucket, 0) + sign
    if not changes:
        return
    tallies = [(*key, *counts) for key, counts in sorted(changes.items())]
    _upsert_adding(conn, event_tallies, TALLY_KEY, tallies)
    latencies = [(*key, n) for key, n in sorted(buckets.items())]
    _upsert_adding(conn, event_latencies, ("day", "site", "bucket"), latencies)
    if sign < 0:
        conn.execute(delete(event_tallies).where(event_tallies.c.events <= 0))
        conn.execute(delete(event_latencies).where(event_latencies.c.events <= 0))


def _upsert_adding(
    conn: Connection, table: Any, key: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Rows of ``table`` (the ``key`` columns, then the counted ones) added to the counts
    stored under their key, or inserted."""
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    add = dialect.insert(table)
    names = [c.name for c in table.c]
    counts = [name for name in names if name not in key]
    add = add.on_conflict_do_update(
        index_elements=list(key),
        set_={name: table.c[name] + add.excluded[name] for name in counts},
    )
    conn.execute(add, [dict(zip((*key, *counts), row, strict=True)) for row in rows])


def purge_events(engine: Engine, *, days: int, now: datetime | None = None) -> int:
    """Delete events older than ``days`` and count them out of the tallies and latency buckets;
    the cached p95s of their days go. How many events went. PostgreSQL drops whole days: the
    partitions of the days before the cutoff's date (UTC) and their rows in the other tables,
    in one transaction, counted from the tallies; the cutoff's own day stays until the next date
    (docs/stats.md). SQLite deletes the rows older than the cutoff."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    if engine.dialect.name == "postgresql":
        return _drop_days_before(engine, cutoff.date().isoformat())
    columns = [events.c[name] for name in (*TALLY_KEY, "source", "latency_ms")]
    with engine.begin() as conn:
        gone = delete(events).where(events.c.at < cutoff).returning(*columns)
        rows = conn.execute(gone).mappings().all()
        _add_tallies(conn, rows, sign=-1)
        gone_days = sorted({row["day"] for row in rows})
        conn.execute(delete(event_p95s).where(event_p95s.c.day.in_(gone_days)))
    return len(rows)


def _drop_days_before(engine: Engine, day: str) -> int:
    """The partitions go first: that takes the lock on ``events`` every upload needs, so no
    tally of those days can change before the transaction ends. The cached p95s go after the
    tallies, whose rows a p95 being cached holds (``store_p95s``): one cached from before the
    purge is committed by then, and goes too."""
    counts = (
        delete(event_tallies).where(event_tallies.c.day < day).returning(event_tallies.c.events)
    )
    with engine.begin() as conn:
        drop_partitions_before(conn, day)
        gone = sum(conn.execute(counts).scalars())
        conn.execute(delete(event_latencies).where(event_latencies.c.day < day))
        conn.execute(delete(event_p95s).where(event_p95s.c.day < day))
        return gone


def recount_tallies(engine: Engine) -> None:
    """Count the tallies and latency buckets afresh from the events, and forget the cached
    p95s, for a bulk load that went around ``record_events`` (the benchmark's ``COPY``)."""
    key = [events.c[name] for name in TALLY_KEY]
    offline = func.sum(case((events.c.source == "online", 0), else_=1))
    counted = select(*key, func.count(), offline, func.count(events.c.latency_ms)).group_by(*key)
    with engine.begin() as conn:
        conn.execute(delete(event_tallies))
        conn.execute(insert(event_tallies).from_select([*TALLY_KEY, *TALLY_COUNTS], counted))
        conn.execute(delete(event_latencies))
        conn.execute(delete(event_p95s))
        bucket = bucket_sql("latency_ms", conn.dialect.name)
        conn.execute(
            text(
                "INSERT INTO event_latencies (day, site, bucket, events) "
                f"SELECT day, site, bucket, count(*) FROM (SELECT day, site, {bucket} AS bucket "
                "FROM events WHERE latency_ms IS NOT NULL) AS timed GROUP BY day, site, bucket"
            )
        )


def _window(
    since_day: str | None, until_day: str | None, site: str | None
) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if since_day is not None:
        where.append(event_tallies.c.day >= since_day)
    if until_day is not None:
        where.append(event_tallies.c.day <= until_day)
    if site is not None:
        where.append(event_tallies.c.site == site)
    return where


def count_events(engine: Engine, *, site: str | None = None) -> int:
    """All stored events, or a site's (the stats' ``total``)."""
    query = select(func.coalesce(func.sum(event_tallies.c.events), 0))
    query = query.where(*_window(None, None, site))
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def _rows(engine: Engine, query: Select[Any]) -> list[dict[str, Any]]:
    """Rows as dicts, fetched as plain tuples (a stats answer has thousands)."""
    with engine.connect() as conn:
        result = conn.execute(query)
        names = list(result.keys())
        return [dict(zip(names, row, strict=True)) for row in result.all()]


def _sum(value: Any, label: str) -> Any:
    """A sum as an integer on both backends (PostgreSQL's sum of a bigint is a numeric)."""
    return cast(func.sum(value), BigInteger).label(label)


def event_counts(
    engine: Engine,
    *,
    since_day: str | None = None,
    until_day: str | None = None,
    site: str | None = None,
) -> list[dict[str, Any]]:
    """Counts per day, site, verdict and age band — never a subject."""
    t = event_tallies.c
    key = [t[name] for name in TALLY_KEY]
    query = (
        select(*key, t.events.label("count"))
        .where(*_window(since_day, until_day, site))
        .order_by(*key)
    )
    return _rows(engine, query)


def day_site_counts(
    engine: Engine,
    *,
    since_day: str | None = None,
    until_day: str | None = None,
    site: str | None = None,
) -> list[dict[str, Any]]:
    """Per day and site: checks, each verdict, 60+, decided offline (source not ``online``)
    and ``timed`` (with a latency: the p95's n)."""
    t = event_tallies.c

    def events_where(condition: ColumnElement[bool], label: str) -> Any:
        return _sum(case((condition, t.events), else_=0), label)

    query = (
        select(
            t.day,
            t.site,
            _sum(t.events, "checks"),
            events_where(t.verdict == "PASS", "pass"),
            events_where(t.verdict == "CHECK", "check"),
            events_where(t.verdict == "DENY", "deny"),
            events_where(t.age_band == "60+", "elder"),
            _sum(t.offline, "offline"),
            _sum(t.timed, "timed"),
        )
        .where(*_window(since_day, until_day, site))
        .group_by(t.day, t.site)
        .order_by(t.day, t.site)
    )
    return _rows(engine, query)


def event_sites(
    engine: Engine, *, since_day: str | None = None, until_day: str | None = None
) -> list[str]:
    """The sites with events in the window (the console's site filter offers these)."""
    t = event_tallies.c
    query = select(t.site).where(*_window(since_day, until_day, None)).distinct().order_by(t.site)
    with engine.connect() as conn:
        return list(conn.execute(query).scalars())


def latency_p95(
    engine: Engine,
    *,
    by: Sequence[str] = (),
    since_day: str | None = None,
    until_day: str | None = None,
    site: str | None = None,
    sizes: Mapping[Key, int] | None = None,
) -> dict[Key, float]:
    """Nearest-rank p95 of ``latency_ms`` per group of the columns ``by`` (``()``: one group);
    events without a latency are left out, groups with none are absent. ``sizes``: how many
    events of each group have a latency, when the caller has summed them from the tallies
    already. Fast for the groups the stats use — (day, site), (day) and () — which have an
    index each."""
    with engine.connect() as conn:
        if sizes is None:
            t = event_tallies.c
            group = [t[name] for name in by]
            counted = (
                select(*group, func.sum(t.timed))
                .where(*_window(since_day, until_day, site))
                .group_by(*group)
            )
            sizes = {tuple(row[:-1]): int(row[-1] or 0) for row in conn.execute(counted)}
        skips = [(key, slower_than_p95(n)) for key, n in sizes.items() if n > 0]
        if not skips:
            return {}
        where: list[ColumnElement[bool]] = [events.c.latency_ms.is_not(None)]
        # SQLite keeps no statistics here: on the bare column it would take the day index and
        # sort every latency, so the day gets SQLite's unary + (sqlite.org/optoverview.html:
        # "disqualifying WHERE clause terms"); PostgreSQL plans from its statistics and needs
        # the bare column to see that the window holds most events
        day = events.c.day if conn.dialect.name == "postgresql" else unindexed(events.c.day)
        if since_day is not None:
            where.append(day >= since_day)
        if until_day is not None:
            where.append(day <= until_day)
        if site is not None:
            where.append(events.c.site == site)
        if not by:
            value = conn.execute(_slowest_query((), (), skips[0][1], where)).scalar()
            return {} if value is None else {(): float(value)}
        if conn.dialect.name == "postgresql":
            return _slowest_in_one_statement(conn, by, skips, where)
        return _slowest_one_by_one(conn, by, skips, where)


def unindexed(day: ColumnElement[str]) -> ColumnElement[str]:
    """``+day``: the same value, which SQLite will not look up in an index."""
    return UnaryExpression(day, operator=custom_op("+"), type_=String())


def slower_than_p95(n: int) -> int:
    """How many of n latencies are slower than the nearest-rank p95: n − ⌈95·n/100⌉."""
    return n - (95 * n + 99) // 100


def _slowest_query(by: Sequence[str], keys: Any, skip: Any, where: list[Any]) -> Select[Any]:
    """The latency with ``skip`` slower ones in the group whose ``by`` columns equal ``keys``,
    read backwards along the index that starts with ``by``."""
    return (
        select(events.c.latency_ms)
        .where(*(events.c[name] == key for name, key in zip(by, keys, strict=True)), *where)
        .order_by(events.c.latency_ms.desc())
        .limit(1)
        .offset(skip)
    )


def _slowest_one_by_one(
    conn: Connection, by: Sequence[str], skips: list[tuple[Key, int]], where: list[Any]
) -> dict[Key, float]:
    """One read per group on the driver's cursor (SQLite: in-process, no round trip; it refuses
    a correlated OFFSET; and thousands of statements through the SQL layer cost more than the
    reads themselves)."""
    keys = [bindparam(f"g_{name}", type_=String) for name in by]
    query = _slowest_query(by, keys, bindparam("skip", type_=Integer), where)
    compiled = query.compile(dialect=conn.dialect)
    sql, order = str(compiled), compiled.positiontup or []
    cursor = conn.connection.cursor()
    found: dict[Key, float] = {}
    try:
        for key, skip in skips:
            params = {**compiled.params, "skip": skip}
            params.update((f"g_{name}", value) for name, value in zip(by, key, strict=True))
            cursor.execute(sql, [params[name] for name in order])
            row = cursor.fetchone()
            if row is not None:
                found[key] = float(row[0])
    finally:
        cursor.close()
    return found


def _slowest_in_one_statement(
    conn: Connection, by: Sequence[str], skips: list[tuple[Key, int]], where: list[Any]
) -> dict[Key, float]:
    """Every group's read as a correlated subquery of one statement, the groups passed as
    arrays (PostgreSQL: one round trip and one cached statement for thousands of groups)."""
    arrays = [bindparam(f"g_{name}", type_=ARRAY(String)) for name in by]
    groups = func.unnest(*arrays, bindparam("skips", type_=ARRAY(Integer)))
    table = groups.table_valued(*by, "skip").render_derived(name="groups")
    slowest = _slowest_query(by, [table.c[name] for name in by], table.c.skip, where)
    query = select(*(table.c[name] for name in by), slowest.scalar_subquery())
    params: dict[str, list[Any]] = {f"g_{name}": [] for name in by} | {"skips": []}
    for key, skip in skips:
        for name, value in zip(by, key, strict=True):
            params[f"g_{name}"].append(value)
        params["skips"].append(skip)
    return {
        tuple(row[:-1]): float(row[-1])
        for row in conn.execute(query, params)
        if row[-1] is not None
    }
