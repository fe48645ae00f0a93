"""Stats with 10^6 events in the store (DESIGN.md §8: ``/v1/stats`` and ``/stats`` well under
1 s), on SQLite and on PostgreSQL, each beside baselines measured in the same run: the same
server's bare ``GET /healthz`` and a bare ``SELECT count(*) FROM events`` on the same store.

The events are seeded in bulk (one ``executemany`` transaction on SQLite, ``COPY`` on
PostgreSQL) as a month of a mid-sized deployment would leave them: the last 30 days, 20 sites of
5 lanes each, the verdict, source and age mix of the field, latencies rounded to 0.1 ms as the
kiosks send them. Then a real ``yzt verifier serve`` process answers ``GET /v1/stats``,
``GET /v1/stats.csv`` and the ``/stats`` console page, each ``--runs`` times: median and worst
wall time, and beside them the server process's CPU time per request (from ``/proc``), which
moves far less with the machine's other load (PostgreSQL's own CPU is not in it).
PostgreSQL runs when 127.0.0.1:5432 answers (a throwaway database, dropped afterwards).

The stats cache each day's and each day and site's p95 (verifier/store/p95.py): the first
answer after the load fills that cache and is shown apart ("cold"); every run of the
"after an upload" row first stores 100 new events of today, so that today's groups are read
again, as on a day of traffic.

``--bulk`` (PostgreSQL only) is for 10^7 events and more: PostgreSQL generates them itself, one
day's partition at a time (filled as a plain table, then attached, which builds its indexes in
one sort), over the last 31 days; after the timings it prints ``EXPLAIN (ANALYZE, BUFFERS)`` of
the stats' p95 reads over the last 7 days — per day and site and per day as a cache miss reads
them, the window's from the histogram and then one bucket — which must read only those days'
partitions.

    python -m benchmarks.bench_stats [--events N] [--runs R] [--backend sqlite|postgresql]
    python -m benchmarks.bench_stats --bulk --events 20000000 --runs 5
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import math
import os
import random
import re
import secrets
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg
from sqlalchemy import Engine, event, text
from sqlalchemy.engine import make_url

from verifier.config import default_config_text, write_private
from verifier.store import open_store
from verifier.store.events import latency_p95, record_events, recount_tallies
from verifier.store.p95 import window_p95
from verifier.store.partitions import (
    ensure_ahead,
    partition_bounds,
    partition_days,
    partition_name,
)
from verifier.store.tokens import add_token

PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=3"
BUDGET_S = 0.5
""""Well under 1 s": half of it, for the median run."""
DAYS = 30
SITES = tuple(f"site-{n:02d}" for n in range(20))
COLUMNS = (
    "event_id, kiosk_id, site, at, day, verdict, reasons, source, card_type, age_band, "
    "subject, latency_ms, received_at"
)
PAGES = (
    ("GET /v1/stats?days=30", "/v1/stats?days=30"),
    ("GET /v1/stats (all)", "/v1/stats"),
    ("GET /v1/stats?site=…", f"/v1/stats?site={SITES[3]}"),
    ("GET /v1/stats.csv", "/v1/stats.csv?days=30"),
    ("GET /stats (page)", "/stats"),
    ("GET /stats?days=all", "/stats?days=all"),
)


def events(count: int) -> Iterator[tuple[object, ...]]:
    """``count`` event rows in column order and in time order (as kiosks upload them), the
    instants as UTC text without a zone (SQLite's stored form; PostgreSQL reads it in UTC)."""
    rng = random.Random(12)
    now = int(time.time())
    start = now - DAYS * 86400 + 1
    days = {
        d: datetime.fromtimestamp(d * 86400, UTC).date().isoformat()
        for d in range(start // 86400, now // 86400 + 1)
    }
    received = f"{days[now // 86400]} 00:00:00.000000"
    verdicts = rng.choices(("PASS", "CHECK", "DENY"), (75, 18, 7), k=count)
    sources = rng.choices(("online", "cache", "risklist", "none"), (70, 10, 15, 5), k=count)
    bands = rng.choices(("0-17", "18-59", "60+", "unknown"), (10, 45, 40, 5), k=count)
    sites = rng.choices(SITES, k=count)
    instants = sorted(rng.randrange(start, now) for _ in range(count))
    typical = {"online": math.log(70.0), "cache": math.log(25.0)}
    for i, (instant, site, source, band) in enumerate(
        zip(instants, sites, sources, bands, strict=True)
    ):
        day, second = days[instant // 86400], instant % 86400
        at = f"{day} {second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}.000000"
        latency = rng.lognormvariate(typical.get(source, typical["cache"]), 0.4)
        unreadable = band == "unknown"
        yield (
            f"bench-{i:08d}",
            f"{site}-lane-{i % 5}",
            site,
            at,
            day,
            verdicts[i],
            '["CODE_GREEN"]',
            source,
            "unknown" if unreadable else "resident",
            band,
            None if unreadable else hashlib.sha256(b"%d" % i).hexdigest(),
            None if i % 17 == 0 else round(latency, 1),
            received,
        )


def seed_sqlite(path: Path, count: int) -> None:
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("PRAGMA cache_size = -524288")  # 512 MB: the indexes stay in memory
        conn.execute("PRAGMA synchronous = OFF")  # a throwaway file
        marks = ", ".join("?" * len(COLUMNS.split(",")))
        conn.executemany(f"INSERT INTO events ({COLUMNS}) VALUES ({marks})", events(count))


def seed_postgresql(dsn: str, count: int) -> None:
    with psycopg.connect(dsn) as conn, conn.cursor() as cursor:
        cursor.execute("SET TimeZone = 'UTC'")
        with cursor.copy(f"COPY events ({COLUMNS}) FROM STDIN") as copy:
            for row in events(count):
                copy.write_row(row)
        conn.commit()
        conn.autocommit = True
        cursor.execute("VACUUM ANALYZE events")  # what autovacuum does after a bulk load


BULK_DAYS = 31
BULK_DAY = """
INSERT INTO {table} ({columns})
SELECT 'bulk-' || replace(d.day, '-', '') || '-' || r.i, site || '-lane-' || r.i % 5, site,
    d.day::timestamp AT TIME ZONE 'UTC' + r.i * (86400.0 / :per_day) * interval '1 second', d.day,
    CASE WHEN r.verdict < 0.75 THEN 'PASS' WHEN r.verdict < 0.93 THEN 'CHECK' ELSE 'DENY' END,
    '["CODE_GREEN"]', source, CASE WHEN band = 'unknown' THEN 'unknown' ELSE 'resident' END, band,
    CASE WHEN band <> 'unknown' THEN {subject} END,
    CASE WHEN r.i % 17 <> 0 THEN round((exp(ln(CASE source WHEN 'online' THEN 70 ELSE 25 END)
        + 0.4 * sqrt(-2 * ln(1 - r.u1)) * cos(2 * pi() * r.u2)))::numeric, 1) END,
    now()
FROM (SELECT CAST(:day AS text) AS day) d,
(SELECT i, random() AS verdict, random() AS u1, random() AS u2, random() AS s, random() AS b,
    random() AS site_r FROM generate_series(1, :per_day) i) r,
LATERAL (SELECT 'site-' || lpad(floor(r.site_r * 20)::int::text, 2, '0') AS site,
    CASE WHEN r.s < 0.70 THEN 'online' WHEN r.s < 0.80 THEN 'cache'
        WHEN r.s < 0.95 THEN 'risklist' ELSE 'none' END AS source,
    CASE WHEN r.b < 0.10 THEN '0-17' WHEN r.b < 0.55 THEN '18-59' WHEN r.b < 0.95 THEN '60+'
        ELSE 'unknown' END AS band) v
"""
"""One day's events, generated by PostgreSQL with the mix of ``events`` (verdicts, sources,
age bands, 20 sites, log-normal latencies to 0.1 ms, every 17th without one)."""


def seed_postgresql_bulk(url: str, count: int) -> None:
    """``count`` events over the last ``BULK_DAYS`` days (UTC), generated on the server one
    day at a time into a plain table that is then attached as that day's partition."""
    engine = open_store(url)
    today = datetime.now(UTC).date()
    per_day = count // BULK_DAYS
    try:
        with engine.connect() as conn:
            kind = conn.execute(
                text(
                    "SELECT data_type FROM information_schema.columns "
                    "WHERE table_name = 'events' AND column_name = 'subject'"
                )
            ).scalar_one()
        hexes = "md5(r.i::text) || md5(d.day || r.i)"
        subject = f"decode({hexes}, 'hex')" if kind == "bytea" else hexes
        for back in range(BULK_DAYS - 1, -1, -1):
            day = (today - timedelta(days=back)).isoformat()
            name = partition_name(day)
            started = time.perf_counter()
            with engine.begin() as conn:
                conn.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
                conn.execute(text(f"CREATE TABLE {name} (LIKE events INCLUDING DEFAULTS)"))
                sql = BULK_DAY.format(table=name, columns=COLUMNS, subject=subject)
                conn.execute(text(sql), {"day": day, "per_day": per_day})
                attach = f"ALTER TABLE events ATTACH PARTITION {name} {partition_bounds(day)}"
                conn.execute(text(attach))
            print(
                f"  {day}: {per_day:,} events in {time.perf_counter() - started:.1f} s", flush=True
            )
    finally:
        engine.dispose()
    with psycopg.connect(
        make_url(url).set(drivername="postgresql").render_as_string(False), autocommit=True
    ) as conn:
        conn.execute("VACUUM ANALYZE events")  # what autovacuum does after a bulk load


def explain_pruning(url: str, days: int = 7) -> None:
    """``EXPLAIN (ANALYZE, BUFFERS)`` of the stats' three p95 reads over the last ``days`` days,
    as the stats send them: the partitions each one reads, and the plan of the overall one."""
    today = datetime.now(UTC).date()
    since_day, until_day = (today - timedelta(days=days - 1)).isoformat(), today.isoformat()
    engine = open_store(url)
    captured: list[tuple[str, dict[str, object]]] = []

    def capture(_c: object, _cur: object, statement: str, params: object, *_: object) -> None:
        if re.search(r"\bFROM (events|event_latencies)\b", statement):
            captured.append((statement, dict(params)))  # type: ignore[call-overload]

    try:
        with engine.connect() as conn:
            total = len(partition_days(conn))
        event.listen(engine, "before_cursor_execute", capture)
        for by in (("day", "site"), ("day",)):
            latency_p95(engine, by=by, since_day=since_day, until_day=until_day)
        window_p95(engine, site=None, since_day=since_day, until_day=until_day)
        event.remove(engine, "before_cursor_execute", capture)
        print(
            f"EXPLAIN (ANALYZE, BUFFERS), window {since_day}..{until_day}, "
            f"{total} partitions in all"
        )
        with engine.connect() as conn:
            cursor = conn.connection.cursor()
            reads = ("by day, site", "by day", "window: histogram", "window: bucket")
            for (statement, params), read_name in zip(captured, reads, strict=True):
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", params)
                plan = [line for (line,) in cursor.fetchall()]
                read = sorted({m for line in plan for m in re.findall(r"on (events_p\d{8})", line)})
                span = f"{len(read)} partitions ({read[0]}..{read[-1]})" if read else "no events"
                buffers = next((line.strip() for line in plan if "Buffers:" in line), "")
                print(
                    f"  p95 {read_name}: reads {span}, {buffers}; "
                    + "; ".join(line.strip() for line in plan if "Execution Time" in line)
                )
                if read_name == "window: bucket":
                    print("\n".join(f"    {line}" for line in plan))
    finally:
        engine.dispose()


def recount(url: str) -> None:
    """The tallies the stats read, counted from the bulk-loaded events (``record_events`` keeps
    them in step; the bulk load went around it)."""
    engine = open_store(url)
    try:
        recount_tallies(engine)
    finally:
        engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serving(data: Path, url: str) -> Iterator[tuple[str, int]]:
    """``yzt verifier serve`` on ``url``'s store; yields its base URL and process id once
    ``/readyz`` answers."""
    data.mkdir(parents=True, exist_ok=True)
    write_private(data / "pepper", secrets.token_hex(32).encode())
    config = data / "verifier.toml"
    body = default_config_text(data).replace(
        f'url = "sqlite:///{(data / "verifier.db").resolve()}"', f'url = "{url}"'
    )
    config.write_text(body, encoding="utf-8")
    port = free_port()
    command = [sys.executable, "-m", "verifier.cli", "serve", "--config", str(config)]
    with (data / "serve.log").open("wb") as log:
        server = subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "COLUMNS": "200"},
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError((data / "serve.log").read_text())
            time.sleep(0.1)
        yield base, server.pid
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


@dataclass(frozen=True)
class Timing:
    median_s: float
    worst_s: float
    size: int = 0
    cpu_s: float | None = None


def server_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far, all its threads (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def nothing() -> None:
    return None


def timed_get(
    client: httpx.Client, path: str, runs: int, server: int, before: Callable[[], None] = nothing
) -> Timing:
    """``runs`` answers after a first one; ``before`` runs ahead of each, outside the time and
    the server's CPU (it runs in this process)."""
    samples, size = [], 0
    client.get(path).raise_for_status()  # warm: the first request also opens the pool
    cpu = 0.0
    for _ in range(runs):
        before()
        cpu -= server_cpu_s(server)
        started = time.perf_counter()
        answer = client.get(path)
        samples.append(time.perf_counter() - started)
        cpu += server_cpu_s(server)
        answer.raise_for_status()
        size = len(answer.content)
    return Timing(statistics.median(samples), max(samples), size, cpu / runs)


def timed_count(url: str, runs: int) -> Timing:
    engine = open_store(url)
    samples = []
    try:
        with engine.connect() as conn:
            for _ in range(runs + 1):
                started = time.perf_counter()
                conn.execute(text("SELECT count(*) FROM events")).scalar_one()
                samples.append(time.perf_counter() - started)
    finally:
        engine.dispose()
    return Timing(statistics.median(samples[1:]), max(samples[1:]))


def row(label: str, timing: Timing, verdict: str = "") -> str:
    size = f"{timing.size / 1e3:>7,.0f} kB" if timing.size else " " * 10
    cpu = f"cpu {timing.cpu_s * 1e3:>6.1f} ms" if timing.cpu_s is not None else " " * 13
    return (
        f"  {label:<24} median {timing.median_s * 1e3:>7.1f} ms  "
        f"worst {timing.worst_s * 1e3:>7.1f} ms  {cpu}  {size}  {verdict}"
    )


def upload_today(engine: Engine) -> Callable[[], None]:
    """Each call stores 100 new events of today (UTC) over all sites, as kiosks' uploads do."""
    batches = iter(range(10**9))

    def upload() -> None:
        n, now = next(batches), datetime.now(UTC)
        record_events(
            engine,
            [
                {
                    "event_id": f"upload-{n}-{i}",
                    "kiosk_id": f"{SITES[i % len(SITES)]}-lane-0",
                    "site": SITES[i % len(SITES)],
                    "at": now,
                    "verdict": "PASS",
                    "reasons": ["CODE_GREEN"],
                    "source": "online",
                    "latency_ms": 40.0 + i,
                }
                for i in range(100)
            ],
        )

    return upload


def measure(name: str, url: str, data: Path, runs: int) -> None:
    engine = open_store(url)
    staff = add_token(engine, name="bench-staff", role="staff")
    count = timed_count(url, runs)
    with serving(data, url) as (base, pid):
        headers = {"Authorization": f"Bearer {staff}"}
        with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
            bare = timed_get(client, "/healthz", runs, pid)
            print(f"{name}")
            print(row("baseline GET /healthz", bare))
            print(row("baseline SELECT count(*)", count))
            started, cpu = time.perf_counter(), server_cpu_s(pid)
            client.get(PAGES[0][1]).raise_for_status()
            cold = time.perf_counter() - started
            print(row("cold /v1/stats?days=30", Timing(cold, cold, 0, server_cpu_s(pid) - cpu)))
            uploaded = upload_today(engine)
            for label, path in PAGES:
                timing = timed_get(client, path, runs, pid)
                ok = "ok" if timing.median_s <= BUDGET_S else "OVER BUDGET"
                over = (timing.median_s - bare.median_s) * 1e3
                print(row(label, timing, f"+{over:.0f} ms over /healthz  budget ≤ 500 ms: {ok}"))
            uploads = (("upload, /v1/stats?d=30", PAGES[0][1]), ("upload, /stats", "/stats"))
            for label, path in uploads:
                timing = timed_get(client, path, runs, pid, uploaded)
                ok = "ok" if timing.median_s <= BUDGET_S else "OVER BUDGET"
                print(row(label, timing, f"budget ≤ 500 ms: {ok}"))
            answer = client.get("/v1/stats").json()
            print(f"  (per_day: {len(answer['per_day'])} days, rows: {len(answer['days'])})")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), action="append")
    parser.add_argument("--bulk", action="store_true", help="PostgreSQL only, generated there")
    args = parser.parse_args()
    backends = ["postgresql"] if args.bulk else args.backend or ["sqlite", "postgresql"]
    days = BULK_DAYS if args.bulk else DAYS
    print(f"events: {args.events:,} over {days} days, {len(SITES)} sites; {args.runs} runs each")
    with tempfile.TemporaryDirectory(prefix="yzt-bench-stats-") as tmp:
        if "sqlite" in backends:
            db = Path(tmp) / "verifier.db"
            url = f"sqlite:///{db}"
            open_store(url).dispose()
            started = time.perf_counter()
            seed_sqlite(db, args.events)
            recount(url)
            print(f"seeded SQLite in {time.perf_counter() - started:.1f} s")
            measure("sqlite", url, Path(tmp) / "sqlite", args.runs)
        if "postgresql" in backends:
            bench_postgresql(Path(tmp) / "postgresql", args.events, args.runs, bulk=args.bulk)


def bench_postgresql(data: Path, count: int, runs: int, *, bulk: bool = False) -> None:
    name = f"yzt_bench_{secrets.token_hex(4)}"
    try:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        print(f"postgresql skipped: {exc}")
        return
    try:
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        engine = open_store(url)
        if not bulk:
            ensure_ahead(engine, retention_days=DAYS)  # the days COPY fills (serve makes these)
        engine.dispose()
        started = time.perf_counter()
        if bulk:
            seed_postgresql_bulk(url, count)
        else:
            seed_postgresql(f"host=127.0.0.1 port=5432 user=postgres dbname={name}", count)
        recount(url)
        print(f"seeded PostgreSQL in {time.perf_counter() - started:.1f} s")
        with psycopg.connect(PG_ADMIN) as conn:
            size = conn.execute("SELECT pg_database_size(%s)", (name,)).fetchone()
            print(f"database size {size[0] / 1e9:.1f} GB" if size else "")
        measure("postgresql", url, data, runs)
        if bulk:
            explain_pruning(url)
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
