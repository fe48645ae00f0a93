"""Two real verifier replicas on one PostgreSQL behind a private nginx (the project's proxy
settings), all on loopback: a kiosk-like load keeps succeeding while a replica is killed with
SIGKILL and started again. Bounded in requests and time; latencies are printed, not asserted."""

from __future__ import annotations

import asyncio
import re
import secrets
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from deploykit import free_port, need, sh, throwaway_database

from benchmarks.fleet_sim import Replica, behind_nginx, served_by

pytestmark = pytest.mark.postgres
YZT = str(Path(sys.executable).parent / "yzt")
KIOSKS = 4
PACE_S = 0.1
MAX_REQUESTS = 2000
MAX_SECONDS = 90.0


@pytest.fixture
def database() -> Iterator[str]:
    with throwaway_database("yzt_failover") as url:
        yield url


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
    need("nginx")
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
    with behind_nginx(prefix, free_port(), replicas) as url:
        load = Load(url, tokens)
        served_after = asyncio.run(run_load(load, replicas[0], prefix / "access.log"))

    report(load.results)
    failed = [r for r in load.results if r[1] != 200]
    assert len(load.results) >= 100, "the load run was too short to mean anything"
    assert not failed, f"{len(failed)} of {len(load.results)} requests failed: {failed[:5]}"
    phases = {phase for phase, _, _ in load.results}
    assert {"one killed", "both up again"} <= phases
    assert served_after > 0, "the restarted replica never served again"


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
