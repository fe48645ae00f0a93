"""Test helpers: valid synthetic ID numbers, CSV/NDJSON bodies, configs, the API client, a
real ``yzt verifier serve`` process."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Connection, Engine, event, text

from verifier.config import default_config_text, write_private
from verifier.idnumber import synthetic_id_number

PEPPER = b"0123456789abcdef0123456789abcdef-test-pepper"


def id_numbers(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    numbers: list[str] = []
    while len(numbers) < count:
        number = synthetic_id_number(rng)
        if number not in numbers:
            numbers.append(number)
    return numbers


def csv_body(header: str, rows: list[str]) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def ndjson_body(rows: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()


def write_config(data: Path, url: str, extra: str = "") -> Path:
    """A config like ``init`` writes, with ``url`` as the store and ``extra`` TOML appended."""
    data.mkdir(parents=True, exist_ok=True)
    pepper = data / "pepper"
    if not pepper.exists():
        write_private(pepper, PEPPER)
    body = default_config_text(data).replace(
        f'url = "sqlite:///{(data / "verifier.db").resolve()}"', f'url = "{url}"'
    )
    path = data / "verifier.toml"
    path.write_text(body + extra, encoding="utf-8")
    return path


class Api:
    """The app, its engine and one token per role."""

    def __init__(self, client: httpx.AsyncClient, engine: Engine, tokens: dict[str, str]) -> None:
        self.client = client
        self.engine = engine
        self.tokens = tokens

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving_process(
    config: Path,
    log: Path,
    *,
    args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    preexec_fn: Callable[[], None] | None = None,
    timeout_s: float = 90.0,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``yzt verifier serve --config CONFIG ARGS`` on a free loopback port, its output in
    ``log``; yields the base URL and the process once ``/readyz`` answers, SIGTERM afterwards."""
    port = free_port()
    command = [sys.executable, "-m", "verifier.cli", "serve", "--config", str(config)]
    with log.open("wb") as sink:
        server = subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(port), *args],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={**os.environ, "COLUMNS": "200", **(env or {})},
            preexec_fn=preexec_fn,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, log.read_text()
            time.sleep(0.1)
        yield url, server
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


@contextmanager
def serving(config: Path, log: Path, *, timeout_s: float = 90.0) -> Iterator[str]:
    """``serving_process`` for tests that need only the base URL."""
    with serving_process(config, log, timeout_s=timeout_s) as (url, _server):
        yield url


@contextmanager
def counted_queries(engine: Engine) -> Iterator[list[str]]:
    """Every statement the engine sends while the block runs."""
    seen: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def tally_as_before(conn: Connection) -> None:
    """``event_tallies`` counted from the stored events as a release before 0122 kept them: for
    migration tests, which cannot call today's ``recount_tallies`` on an older schema."""
    key = "day, site, verdict, age_band"
    conn.execute(
        text(
            f"INSERT INTO event_tallies ({key}, events, offline, timed) SELECT {key}, "
            "count(*), sum(CASE WHEN source = 'online' THEN 0 ELSE 1 END), count(latency_ms) "
            f"FROM events GROUP BY {key}"
        )
    )


def four_day_tap(n: int, now: datetime, latency_ms: float | None) -> dict[str, Any]:
    """Tap ``n`` of a kiosk fleet at UTC+8 as a kiosk sends (and resends) it: four local dates
    before ``now``, two sites, three kiosks, every verdict, online and cached."""
    return {
        "event_id": f"ev-{n:03d}",
        "kiosk_id": f"k{n % 3}",
        "site": ("hospital-a", "metro-2")[n % 2],
        "at": (now - timedelta(days=n % 4, hours=n % 11)).astimezone(timezone(timedelta(hours=8))),
        "verdict": ("PASS", "CHECK", "DENY")[n % 3],
        "reasons": ["CODE_GREEN"],
        "source": ("online", "cache")[n % 2],
        "card_type": "resident",
        "age_band": "60+",
        "latency_ms": latency_ms,
    }
