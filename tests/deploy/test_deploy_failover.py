"""Two real verifier replicas on one PostgreSQL behind a private nginx (the project's proxy
settings), all on loopback: a kiosk-like load keeps succeeding while a replica is killed with
SIGKILL and started again. Bounded in requests and time; latencies are printed, not asserted."""

from __future__ import annotations

import asyncio
import re
import secrets
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from conftest import in_ci
from deploykit import free_port, need

from benchmarks.fleet_sim import Replica, nginx_conf, served_by

pytestmark = pytest.mark.postgres
YZT = str(Path(sys.executable).parent / "yzt")
SERVER = "postgresql://postgres@127.0.0.1:5432"
KIOSKS = 4
PACE_S = 0.1
MAX_REQUESTS = 2000
MAX_SECONDS = 90.0


def sh(*args: str) -> str:
    result = subprocess.run(list(args), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{args[:3]}: {result.stderr[-2000:]}"
    return result.stdout.strip()


@pytest.fixture
def database() -> Iterator[str]:
    psql = need("psql")
    try:
        sh(psql, f"{SERVER}/postgres", "-XqtAc", "select 1")
    except AssertionError as exc:
        if in_ci():
            raise
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 is not usable: {exc}")
    name = f"yzt_failover_{secrets.token_hex(4)}"
    sh(psql, f"{SERVER}/postgres", "-XqtAc", f"create database {name}")
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    sh(psql, f"{SERVER}/postgres", "-XqtAc", f"drop database if exists {name} with (force)")


@dataclass
class Load:
    url: str
    tokens: list[str]
    results: list[tuple[str, int, float]] = field(default_factory=list)
    phase: str = "both up"

    async def kiosk(self, token: str, stop: asyncio.Event) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=self.url, headers=headers, timeout=10) as client:
            while not stop.is_set() and len(self.results) < MAX_REQUESTS:
                phase, started = self.phase, time.perf_counter()
                try:
                    response = await client.post("/v1/verify", json=verify_body())
                    status = response.status_code
                except httpx.HTTPError:
                    status = 0
                self.results.append((phase, status, (time.perf_counter() - started) * 1000))
                await asyncio.sleep(PACE_S)


def verify_body() -> dict[str, object]:
    return {
        "subject": secrets.token_hex(32),
        "site": "hospital-a",
        "event_id": str(uuid.uuid4()),
        "card": {
            "card_type": "resident",
            "valid_from": "2020-01-01",
            "valid_until": None,
            "age_band": "60+",
            "id_number_valid": True,
        },
    }


async def run_load(load: Load, victim: Replica, access_log: Path) -> int:
    """Kill ``victim``, start it again; the requests it answered after its restart."""
    stop = asyncio.Event()
    kiosks = [asyncio.create_task(load.kiosk(token, stop)) for token in load.tokens]
    deadline = time.monotonic() + MAX_SECONDS
    try:
        await asyncio.sleep(2)
        load.phase = "one killed"
        await asyncio.to_thread(victim.kill)
        await asyncio.sleep(3)
        load.phase = "restarting"
        victim.start()
        await asyncio.to_thread(victim.wait_ready, max(1.0, deadline - time.monotonic()))
        load.phase = "both up again"
        seen = len(access_log.read_text().splitlines())
        # nginx tries a failed upstream again after fail_timeout (5 s): wait for it, bounded.
        served, until = 0, min(deadline, time.monotonic() + 15)
        while served == 0 and time.monotonic() < until:
            await asyncio.sleep(0.5)
            served = served_by(access_log, victim.port, after_line=seen)
        await asyncio.sleep(1)
        return served_by(access_log, victim.port, after_line=seen)
    finally:
        stop.set()
        await asyncio.gather(*kiosks)


def test_load_through_nginx_survives_a_replica_killed_and_restarted(
    database: str, tmp_path: Path
) -> None:
    nginx = need("nginx")
    data = tmp_path / "verifier"
    sh(YZT, "verifier", "init", "--data", str(data))
    config = data / "verifier.toml"
    text = config.read_text()
    config.write_text(re.sub(r'(?m)^url = ".*"$', f'url = "{database}"', text, count=1))
    sh(YZT, "verifier", "migrate", "--config", str(config))
    tokens = [
        sh(YZT, "verifier", "token", "add", "--config", str(config), "--role", "kiosk",
           "--kiosk-id", f"lane-{n}", "--site", "hospital-a")
        for n in range(KIOSKS)
    ]  # fmt: skip
    replicas = [Replica(config, free_port(), tmp_path / f"replica-{n}.log") for n in (1, 2)]
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    listen = free_port()
    conf = nginx_conf(prefix, listen, [r.port for r in replicas])
    check = subprocess.run([nginx, "-t", "-p", str(prefix), "-c", str(conf)], capture_output=True)
    assert check.returncode == 0, check.stderr.decode()
    proxy = None
    try:
        for replica in replicas:
            replica.start()
        for replica in replicas:
            replica.wait_ready()
        proxy = subprocess.Popen([nginx, "-p", str(prefix), "-c", str(conf)])
        load = Load(f"http://127.0.0.1:{listen}", tokens)
        load_url_ready(load.url)
        served_after = asyncio.run(run_load(load, replicas[0], prefix / "access.log"))
    finally:
        if proxy is not None:
            proxy.terminate()
            proxy.wait(timeout=10)
        for replica in replicas:
            replica.stop()

    report(load.results)
    failed = [r for r in load.results if r[1] != 200]
    assert len(load.results) >= 100, "the load run was too short to mean anything"
    assert not failed, f"{len(failed)} of {len(load.results)} requests failed: {failed[:5]}"
    phases = {phase for phase, _, _ in load.results}
    assert {"one killed", "both up again"} <= phases
    assert served_after > 0, "the restarted replica never served again"


def load_url_ready(url: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError("nginx did not start")


def report(results: list[tuple[str, int, float]]) -> None:
    print(f"\nfailover load: {len(results)} requests through nginx, {KIOSKS} kiosks")
    for phase in ("both up", "one killed", "restarting", "both up again"):
        times = sorted(ms for p, _, ms in results if p == phase)
        if len(times) >= 2:
            ok = sum(1 for p, s, _ in results if p == phase and s == 200)
            p95 = statistics.quantiles(times, n=20)[-1]
            print(
                f"  {phase:14} {ok}/{len(times)} ok  p50 {statistics.median(times):6.1f} ms"
                f"  p95 {p95:6.1f} ms  max {times[-1]:6.1f} ms"
            )
