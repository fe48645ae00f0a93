"""Feed import speed (DESIGN.md §8: ≥ 100 k rows/s on SQLite, ≥ 200 k rows/s on PostgreSQL).

10^6 health-code rows with plaintext ID numbers (validated, check digit, HMAC) into an empty
store, against a baseline in the same run: the csv module merely parsing the same file.
PostgreSQL runs when 127.0.0.1:5432 answers (a throwaway database, dropped afterwards).

Besides rows/s, which moves with whatever else the two cores are doing, each line gives the CPU
per row: this process's (parsing, hashing, the driver; SQLite's own work included) and, on
PostgreSQL, the server backends' (read from /proc: the server runs on this machine) — the sum
bounds the rate on this box (2 cores ÷ CPU per row) whatever the load. Each import runs in a
process of its own, so its peak memory (maximum resident set) is its alone.

    python -m benchmarks.bench_import [--rows N]
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing
import os
import random
import resource
import secrets
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import psycopg
from sqlalchemy import Engine, text

from verifier.feeds import import_feed
from verifier.idnumber import synthetic_id_number
from verifier.store import open_store

PEPPER = secrets.token_hex(32).encode()
PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=3"


def write_feed(path: Path, rows: int) -> None:
    rng = random.Random(1)
    colors = ("green",) * 18 + ("yellow", "red")
    with path.open("w", encoding="utf-8") as out:
        out.write("id_number,color,reason,updated_at,nat_at,vaccine_doses\n")
        for i in range(rows):
            stamp = f"2026-11-{1 + i % 28:02d}T08:00:00+08:00"
            out.write(f"{synthetic_id_number(rng)},{rng.choice(colors)},feed,{stamp},{stamp},3\n")


def baseline(path: Path) -> float:
    started = time.perf_counter()
    with path.open(newline="", encoding="utf-8") as handle:
        count = sum(1 for _ in csv.reader(handle)) - 1
    return count / (time.perf_counter() - started)


def cpu_s() -> float:
    """User + system CPU seconds of this process, all threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def server_cpu_s(engine: Engine) -> float:
    """CPU seconds of the PostgreSQL backends serving this database so far (0 on SQLite)."""
    if engine.dialect.name != "postgresql":
        return 0.0
    with engine.connect() as conn:
        pids = conn.execute(
            text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        ).scalars()
        ticks = 0
        for pid in pids:
            with suppress(OSError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Measured:
    rate: float
    accepted: int
    client_us: float
    """This process's CPU per row (parsing, hashing, the driver, and SQLite itself)."""
    server_us: float
    """The PostgreSQL backends' CPU per row (0 on SQLite)."""
    peak_mb: float

    def line(self, store: str, budget: int, base: float) -> str:
        verdict = "ok" if self.rate >= budget else "OVER BUDGET"
        cpu = self.client_us + self.server_us
        return (
            f"{store:<10} import ({self.accepted:,} accepted) {self.rate:>10,.0f} rows/s  "
            f"{self.rate / base:.2f}× baseline  budget ≥ {budget:,}: {verdict}  CPU/row "
            f"{self.client_us:.1f} µs here + {self.server_us:.1f} µs server = {cpu:.1f} µs "
            f"(2 cores bound it to {2e6 / cpu:,.0f} rows/s)  peak memory {self.peak_mb:,.0f} MB"
        )


def timed_import(url: str, path: Path) -> Measured:
    """One import in a fresh process (its peak memory its own)."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_timed_import, url, path).result()


def _timed_import(url: str, path: Path) -> Measured:
    engine = open_store(url)
    server = server_cpu_s(engine)
    started, cpu = time.perf_counter(), cpu_s()
    with path.open("rb") as handle:
        report = import_feed(engine, PEPPER, "codes", handle)
    elapsed, cpu = time.perf_counter() - started, cpu_s() - cpu
    server = server_cpu_s(engine) - server
    engine.dispose()
    rows = report.accepted
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return Measured(rows / elapsed, rows, cpu / rows * 1e6, server / rows * 1e6, peak)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="yzt-bench-import-") as tmp:
        feed = Path(tmp) / "codes.csv"
        write_feed(feed, args.rows)
        base = baseline(feed)
        print(f"rows: {args.rows}  file: {feed.stat().st_size / 1e6:.1f} MB")
        print(f"baseline  csv.reader parse only         {base:>12,.0f} rows/s")
        print(timed_import(f"sqlite:///{tmp}/bench.db", feed).line("sqlite", 100_000, base))
        name = f"yzt_bench_{secrets.token_hex(4)}"
        try:
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
        except psycopg.OperationalError as exc:
            print(f"postgresql skipped: {exc}")
            return
        try:
            url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
            print(timed_import(url, feed).line("postgresql", 200_000, base))
        finally:
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
