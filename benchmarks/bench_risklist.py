"""Risk-list budgets of DESIGN.md §8, each beside a baseline measured in the same run:

- snapshot of 10^6 subjects ≤ 24 MB (baseline: the same list as newline-separated hex subjects);
- kiosk apply of that snapshot ≤ 10 s — verify, inflate, one SQLite transaction (baseline: a bare
  ``executemany`` of the same rows into an in-memory table);
- delta of 10^4 changes ≤ 400 KB (baseline: the changes as JSON);
- one offline decision (the offline part of the ≤ 50 ms tap budget; baseline: computing the
  subject, HMAC-SHA256, which every tap does anyway).

    .venv/bin/python -m benchmarks.bench_risklist
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import os
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from rich.console import Console
from rich.table import Table

from kiosk.cardcheck import CardCheck
from kiosk.offline.cache import ResultCache
from kiosk.offline.config import OfflineConfig
from kiosk.offline.decider import OfflineDecider
from kiosk.offline.freshness import Freshness
from kiosk.offline.risklist import RiskListStore, decode_all
from verifier.risklist import format as wire

SUBJECTS = 1_000_000
CHANGES = 10_000
MB = 1024 * 1024
console = Console()


CARD = CardCheck("ok", ("CARD_VALID",), "60+")


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def per_call_us(work: Callable[[], object], runs: int = 20_000) -> float:
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(runs):
            work()
        samples.append((time.perf_counter() - start) / runs * 1e6)
    return statistics.median(samples)


def main() -> None:
    key = Ed25519PrivateKey.generate()
    with console.status("making 10^6 subjects…"):
        listed = {os.urandom(16): 1 + (i % 5) for i in range(SUBJECTS)}
    table = Table("measure", "value", "baseline", "ratio", "budget", title="risk list")

    with console.status("encoding and signing the snapshot…"):
        header = wire.Header(wire.SNAPSHOT, 0, 1, SUBJECTS, SUBJECTS, 0)
        snapshot = wire.encode(header, listed, key)
    text_size = SUBJECTS * 65
    table.add_row(
        "snapshot 10^6",
        f"{len(snapshot) / MB:.1f} MB",
        f"{text_size / MB:.1f} MB hex lines",
        f"{len(snapshot) / text_size:.2f}",
        "≤ 24 MB",
    )

    with tempfile.TemporaryDirectory() as folder, console.status("applying on the kiosk…"):
        store = RiskListStore(Path(folder) / "risklist.sqlite3")
        apply_s = timed(lambda: store.apply(decode_all(snapshot, key.public_key())))
        memory = sqlite3.connect(":memory:")
        memory.execute("CREATE TABLE t (k BLOB PRIMARY KEY, f INTEGER) WITHOUT ROWID")
        rows = sorted(listed.items())
        bare_s = timed(lambda: memory.executemany("INSERT INTO t VALUES (?, ?)", rows))
        table.add_row(
            "apply 10^6",
            f"{apply_s:.2f} s",
            f"{bare_s:.2f} s bare insert",
            f"{apply_s / bare_s:.1f}",
            "≤ 10 s",
        )

        changes = dict(list(listed.items())[:CHANGES])
        delta = wire.encode(wire.Header(wire.DELTA, 1, 2, CHANGES, SUBJECTS, 0), changes, key)
        as_json = json.dumps({k.hex(): v for k, v in changes.items()}).encode()
        table.add_row(
            "delta 10^4",
            f"{len(delta) / 1024:.0f} KB",
            f"{len(as_json) / 1024:.0f} KB JSON",
            f"{len(delta) / len(as_json):.2f}",
            "≤ 400 KB",
        )

        cache = ResultCache(Path(folder) / "c.sqlite3", maxsize=100_000, ttl_s=3600)
        freshness = Freshness(Path(folder) / "f.json")
        freshness.mark_synced(0.0)
        decider = OfflineDecider(OfflineConfig(), cache, store, freshness)
        listed_subject = next(iter(listed)).hex() + "0" * 32
        clear_subject = "ab" * 32
        cache.remember("cd" * 32, "PASS", ["CODE_GREEN"])
        pepper = b"p" * 32
        number = b"0" * 18  # an 18-character key: HMAC cost depends on length alone
        baseline = per_call_us(lambda: hmac.new(pepper, number, hashlib.sha256))
        for label, subject in (
            ("decide: on list", listed_subject),
            ("decide: not listed", clear_subject),
            ("decide: cached", "cd" * 32),
        ):
            us = per_call_us(functools.partial(decider.decide, subject, CARD))
            table.add_row(
                label, f"{us:.1f} µs", f"{baseline:.1f} µs HMAC", f"{us / baseline:.1f}", "≪ 50 ms"
            )
        store.close()
        cache.close()
    console.print(table)


if __name__ == "__main__":
    main()
