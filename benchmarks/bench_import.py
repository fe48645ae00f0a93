"""Feed import speed (DESIGN.md §8: ≥ 100 k rows/s on SQLite, ≥ 200 k rows/s on PostgreSQL).

10^6 health-code rows with plaintext ID numbers (validated, check digit, HMAC) into an empty
store, against a baseline in the same run: the csv module merely parsing the same file.
PostgreSQL runs when 127.0.0.1:5432 answers (a throwaway database, dropped afterwards).

    python -m benchmarks.bench_import [--rows N]
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import secrets
import tempfile
import time
from pathlib import Path

import psycopg

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


def timed_import(url: str, path: Path) -> tuple[float, int, float]:
    """rows/s, rows accepted, and this process's CPU µs per row (parsing, hashing, the driver,
    and SQLite itself — which moves much less than rows/s with the machine's other load)."""
    engine = open_store(url)
    started, cpu = time.perf_counter(), cpu_s()
    with path.open("rb") as handle:
        report = import_feed(engine, PEPPER, "codes", handle)
    elapsed, cpu = time.perf_counter() - started, cpu_s() - cpu
    engine.dispose()
    return report.accepted / elapsed, report.accepted, cpu / report.accepted * 1e6


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
        rate, accepted, cpu = timed_import(f"sqlite:///{tmp}/bench.db", feed)
        verdict = "ok" if rate >= 100_000 else "OVER BUDGET"
        print(
            f"sqlite    import ({accepted:,} accepted)  {rate:>12,.0f} rows/s  "
            f"{rate / base:.2f}× baseline  budget ≥ 100,000: {verdict}  "
            f"({cpu:.1f} µs CPU/row here, SQLite included)"
        )
        name = f"yzt_bench_{secrets.token_hex(4)}"
        try:
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
        except psycopg.OperationalError as exc:
            print(f"postgresql skipped: {exc}")
            return
        try:
            url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
            rate, accepted, cpu = timed_import(url, feed)
            verdict = "ok" if rate >= 200_000 else "OVER BUDGET"
            print(
                f"postgresql import ({accepted:,} accepted) {rate:>12,.0f} rows/s  "
                f"{rate / base:.2f}× baseline  budget ≥ 200,000: {verdict}  "
                f"({cpu:.1f} µs CPU/row here, the server's not included)"
            )
        finally:
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
