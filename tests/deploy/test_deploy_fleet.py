"""Kiosks — each with its real client, outbox file and uploader, and its own bound token — tap,
upload and send heartbeats through the shipped nginx proxy settings to two verifier replicas on
one PostgreSQL, and one replica is SIGKILLed mid-run: every tap still gets its online answer,
and every event the kiosks made is stored exactly once (benchmarks/fleet_sim.py; the same run
with 200 kiosks is ``python -m benchmarks.bench_scale --fleet``). Nothing here is timed: the
kiosks' deadline is generous, and only counts and ids are asserted."""

from __future__ import annotations

import asyncio
import re
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from deploykit import free_port, need, sh, throwaway_database

from benchmarks.fleet_sim import (
    FleetRun,
    Replica,
    Schedule,
    SimKiosk,
    behind_nginx,
    run_fleet,
    served_by,
    stored,
)
from verifier.store import open_store
from verifier.store.tokens import add_token

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(600)]
SITE = "metro-9"
KIOSKS = 12
SCHEDULE = Schedule(
    seconds=8.0,
    tap_every_s=0.1,
    heartbeat_every_s=1.0,
    upload_every_s=0.2,
    upload_batch=10,
    verify_deadline_s=20.0,
)


@pytest.fixture
def database() -> Iterator[str]:
    with throwaway_database("yzt_fleet") as url:
        yield url


def test_a_replica_killed_mid_run_loses_no_tap_and_no_event(database: str, tmp_path: Path) -> None:
    need("nginx")
    yzt = (sys.executable, "-m", "verifier.cli")
    data = tmp_path / "verifier"
    sh(*yzt, "init", "--data", str(data))
    config = data / "verifier.toml"
    text = config.read_text()
    config.write_text(re.sub(r'(?m)^url = ".*"$', f'url = "{database}"', text, count=1))
    sh(*yzt, "migrate", "--config", str(config))
    engine = open_store(database)
    kiosks = [
        SimKiosk(
            f"lane-{n}",
            SITE,
            add_token(engine, name=f"lane-{n}", role="kiosk", site=SITE, kiosk_id=f"lane-{n}"),
        )
        for n in range(KIOSKS)
    ]
    subjects = [secrets.token_hex(32) for _ in range(50)]
    replicas = [Replica(config, free_port(), tmp_path / f"replica-{n}.log") for n in (1, 2)]
    victim, survivor = replicas
    prefix = tmp_path / "nginx"
    served_before_kill: list[int] = []

    async def kill() -> None:
        served_before_kill.append(served_by(prefix / "access.log", victim.port))
        await asyncio.to_thread(victim.kill)

    with behind_nginx(prefix, free_port(), replicas) as url:
        run: FleetRun = asyncio.run(
            run_fleet(url, kiosks, subjects, SCHEDULE, tmp_path / "outboxes", midway=kill)
        )
        after_kill = served_by(prefix / "access.log", survivor.port)
    back = stored(engine, SITE)
    engine.dispose()

    print(
        f"\nfleet: {len(run.made)} taps from {KIOSKS} kiosks in {run.seconds:.1f} s, "
        f"p50 {run.p(50):.1f} ms p99 {run.p(99):.1f} ms, {run.heartbeats} heartbeats"
    )
    assert len(run.made) >= KIOSKS * 10, "the run was too short to mean anything"
    assert served_before_kill and served_before_kill[0] > 0, "the victim never served"
    assert after_kill > 0
    assert not run.errors, f"{len(run.errors)} taps decided offline: {run.errors[:3]}"
    assert not run.heartbeat_errors, run.heartbeat_errors[:3]
    assert run.undrained == 0, "kiosks still hold events after the drain"
    assert back.check(run.made) == []
    assert victim.process is not None and victim.process.returncode == -9
