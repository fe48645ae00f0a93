"""A fleet of simulated kiosks against verifier replicas behind nginx on PostgreSQL (issue 13).

Each kiosk is the daemon's own network half: its ``VerifierClient`` (with its retry), an
``Outbox`` file and the ``Uploader`` that drains it, and a kiosk token bound to its own kiosk id
and site. It taps on a fixed schedule (``POST /v1/verify`` within the daemon's 1 s deadline; an
unanswered tap is decided offline and counted as an error), puts the event in its outbox before
the next tap, and sends a heartbeat on its own schedule. nginx runs the project's shipped proxy
settings (deploy/nginx/yzt-verifier-proxy.conf) in front of the replicas; ``kill`` SIGKILLs one
replica's whole process group mid-run, as a box losing power would.

Afterwards every outbox is drained and the store is read back: every event a kiosk made must be
stored exactly once (the same id set, and the stats tallies counting each once).

Used by ``python -m benchmarks.bench_scale --fleet`` (200 kiosks, measured) and
tests/deploy/test_deploy_fleet.py (a few kiosks, asserted, never timed).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, func, select

from kiosk.outbox import Outbox, Uploader
from kiosk.verifier_client import VerifierClient, VerifierUnavailable
from verifier.store.schema import event_tallies, events

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
DRAIN_ATTEMPTS = 60
CARD = {
    "card_type": "resident",
    "valid_from": "2020-01-01",
    "valid_until": None,
    "age_band": "60+",
    "id_number_valid": True,
}


@dataclass
class Replica:
    """One ``yzt verifier serve`` process group on its own port."""

    config: Path
    port: int
    log: Path
    workers: int = 1
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "verifier.cli", "serve", "--config", str(self.config)]
        command += ["--host", "127.0.0.1", "--port", str(self.port)]
        command += ["--workers", str(self.workers)]
        with self.log.open("ab") as sink:
            self.process = subprocess.Popen(
                command, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
            )

    def wait_ready(self, timeout_s: float = 90.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                break
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{self.port}/readyz", timeout=2).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"replica on {self.port} not ready:\n{self.log.read_text()[-2000:]}")

    def kill(self) -> None:
        """SIGKILL to every process of the replica (a multi-worker server's too)."""
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def nginx_conf(prefix: Path, listen: int, ports: list[int]) -> Path:
    """A private nginx: the shipped proxy settings in front of an upstream of ``ports``."""
    servers = "".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;\n" for p in ports)
    temp = "".join(
        f"    {kind}_temp_path {prefix}/{kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers must read the temp prefix
    conf = prefix / "nginx.conf"
    conf.write_text(
        f"{user}daemon off;\nworker_processes 1;\npid {prefix}/nginx.pid;\n"
        f"error_log {prefix}/error.log warn;\nevents {{ worker_connections 4096; }}\n"
        f"http {{\n{temp}"
        f"    log_format up '$msec $status $upstream_addr $upstream_status $request_time $uri';\n"
        f"    access_log {prefix}/access.log up;\n"
        f"    upstream yzt_verifier {{\n{servers}        keepalive 64;\n"
        f"        keepalive_timeout 4s;\n    }}\n"
        f"    server {{\n        listen 127.0.0.1:{listen};\n"
        f"        location / {{\n            proxy_pass http://yzt_verifier;\n"
        f"            include {DEPLOY / 'nginx/yzt-verifier-proxy.conf'};\n        }}\n"
        f"    }}\n}}\n"
    )
    return conf


@contextlib.contextmanager
def behind_nginx(prefix: Path, listen: int, replicas: list[Replica]) -> Iterator[str]:
    """The replicas started and ready, nginx in front on ``listen``; the proxy URL."""
    prefix.mkdir(parents=True, exist_ok=True)
    conf = nginx_conf(prefix, listen, [r.port for r in replicas])
    nginx = [os.environ.get("NGINX", "/usr/sbin/nginx"), "-p", str(prefix), "-c", str(conf)]
    proxy: subprocess.Popen[bytes] | None = None
    try:
        for replica in replicas:
            replica.start()
        for replica in replicas:
            replica.wait_ready()
        proxy = subprocess.Popen(nginx, stderr=subprocess.PIPE)
        url = f"http://127.0.0.1:{listen}"
        _wait_answering(f"{url}/healthz", proxy)
        yield url
    finally:
        if proxy is not None:
            proxy.terminate()
            proxy.wait(timeout=10)
        for replica in replicas:
            replica.stop()


def _wait_answering(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1).status_code == 200:
                return
        time.sleep(0.05)
    stderr = process.stderr.read().decode() if process.poll() is not None and process.stderr else ""
    raise RuntimeError(f"nginx did not answer on {url}: {stderr}")


@dataclass(frozen=True)
class SimKiosk:
    kiosk_id: str
    site: str
    token: str


@dataclass
class FleetRun:
    """What the kiosks saw: one entry per tap, the events they made, the heartbeats sent."""

    verify_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    made: set[str] = field(default_factory=set)
    heartbeats: int = 0
    heartbeat_errors: list[str] = field(default_factory=list)
    undrained: int = 0
    seconds: float = 0.0
    measured_from: float = 0.0
    """wall-clock time (epoch s) from which ``verify_ms`` holds every tap"""

    def p(self, q: int) -> float:
        """The q-th percentile of the verify latencies (ms)."""
        if len(self.verify_ms) < 2:
            return max(self.verify_ms, default=0.0)
        return statistics.quantiles(self.verify_ms, n=100, method="inclusive")[q - 1]


@dataclass(frozen=True)
class Schedule:
    """How the fleet behaves: a tap every ``tap_every_s`` and a heartbeat every
    ``heartbeat_every_s`` per kiosk, for ``seconds``, uploads every ``upload_every_s``."""

    seconds: float
    tap_every_s: float = 2.0
    heartbeat_every_s: float = 30.0
    upload_every_s: float = 2.0
    upload_batch: int = 100
    verify_deadline_s: float = 1.0
    """the kiosk daemon's own deadline for an online answer before it decides offline"""
    warmup_s: float = 0.0
    """latencies of the first seconds left out of ``verify_ms`` (every kiosk opening its outbox
    and its connections at once); their taps and events still count"""


async def run_fleet(
    url: str,
    kiosks: list[SimKiosk],
    subjects: list[str],
    schedule: Schedule,
    outboxes: Path,
    *,
    midway: Callable[[], Awaitable[None]] | None = None,
) -> FleetRun:
    """Every kiosk taps and uploads for ``schedule.seconds``; ``midway`` runs at half time (the
    replica kill). Then every outbox is drained."""
    run = FleetRun(measured_from=time.time() + schedule.warmup_s)
    started = time.monotonic()
    end = started + schedule.seconds
    tasks = [
        asyncio.create_task(_kiosk(url, k, subjects, schedule, outboxes, end, run)) for k in kiosks
    ]
    if midway is not None:
        await asyncio.sleep(schedule.seconds / 2)
        await midway()
    await asyncio.gather(*tasks)
    run.seconds = time.monotonic() - started
    return run


async def _kiosk(
    url: str,
    kiosk: SimKiosk,
    subjects: list[str],
    schedule: Schedule,
    outboxes: Path,
    end: float,
    run: FleetRun,
) -> None:
    client = VerifierClient(url, kiosk.token, connect_timeout_s=0.5)
    outbox = Outbox(outboxes / f"{kiosk.kiosk_id}.db")
    uploader = Uploader(
        outbox, client, interval_s=schedule.upload_every_s, batch=schedule.upload_batch
    )
    uploads = asyncio.create_task(uploader.run())
    rng = random.Random(kiosk.kiosk_id)
    next_tap = time.monotonic() + rng.uniform(0, schedule.tap_every_s)
    next_heartbeat = time.monotonic() + rng.uniform(0, schedule.heartbeat_every_s)
    try:
        while (now := time.monotonic()) < end:
            if now >= next_heartbeat:
                await _heartbeat(client, kiosk, outbox, run)
                next_heartbeat += schedule.heartbeat_every_s
            await asyncio.sleep(max(0.0, next_tap - time.monotonic()))
            next_tap += schedule.tap_every_s
            subject = rng.choice(subjects)
            outbox.add(await _tap(client, kiosk, subject, schedule, run))
            uploader.nudge()
    finally:
        uploads.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await uploads
    for _ in range(DRAIN_ATTEMPTS):
        if outbox.pending() == 0:
            break
        if await uploader.flush() == 0:
            await asyncio.sleep(0.5)
    run.undrained += outbox.pending()
    outbox.close()
    await client.aclose()


async def _tap(
    client: VerifierClient, kiosk: SimKiosk, subject: str, schedule: Schedule, run: FleetRun
) -> dict[str, Any]:
    """One card tap: the online verdict, or offline (CHECK, counted as an error) without one."""
    event_id = str(uuid.uuid4())
    body = {"subject": subject, "site": kiosk.site, "event_id": event_id, "card": CARD}
    started = time.perf_counter()
    try:
        answer = await client.verify(body, deadline_s=schedule.verify_deadline_s)
        verdict, reasons, source = answer.verdict, answer.reasons, "online"
    except VerifierUnavailable as exc:
        run.errors.append(str(exc))
        verdict, reasons, source = "CHECK", ["VERIFIER_UNREACHABLE"], "none"
    latency_ms = (time.perf_counter() - started) * 1000
    if time.time() >= run.measured_from:
        run.verify_ms.append(latency_ms)
    run.made.add(event_id)
    return {
        "event_id": event_id,
        "kiosk_id": kiosk.kiosk_id,
        "site": kiosk.site,
        "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "verdict": verdict,
        "reasons": reasons,
        "source": source,
        "card_type": CARD["card_type"],
        "age_band": CARD["age_band"],
        "subject": subject,
        "latency_ms": round(latency_ms, 1),
    }


async def _heartbeat(
    client: VerifierClient, kiosk: SimKiosk, outbox: Outbox, run: FleetRun
) -> None:
    document = {
        "kiosk_id": kiosk.kiosk_id,
        "site": kiosk.site,
        "version": "fleet-sim",
        "sent_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "reader": {"state": "ok", "detail": "reading cards"},
        "verifier": {"url": "http://verifier", "state": "ok", "latency_ms": client.latency_ms},
        "outbox": {
            "pending": outbox.pending(),
            "oldest_age_s": None,
            "rejected": outbox.rejected(),
        },
    }
    try:
        await client.heartbeat(document)
        run.heartbeats += 1
    except VerifierUnavailable as exc:
        run.heartbeat_errors.append(str(exc))


@dataclass(frozen=True)
class Stored:
    """The store read back after a run: the fleet's event ids and what the tallies count."""

    ids: list[str]
    tallied: int

    def check(self, made: set[str]) -> list[str]:
        """What is wrong with exactly-once, in words; empty when every event is stored once."""
        problems = []
        if len(self.ids) != len(set(self.ids)):
            problems.append(f"{len(self.ids) - len(set(self.ids))} event ids stored twice")
        if missing := made - set(self.ids):
            problems.append(f"{len(missing)} events made by the kiosks are not stored")
        if extra := set(self.ids) - made:
            problems.append(f"{len(extra)} stored events were never made")
        if self.tallied != len(self.ids):
            problems.append(f"the tallies count {self.tallied} events, the table {len(self.ids)}")
        return problems


def proxy_times_ms(access_log: Path, uri: str, since: float) -> list[float]:
    """nginx's own time for each request to ``uri`` logged from ``since`` (epoch s) on
    (``$request_time``, ms resolution): the latency without the simulating process's own
    scheduling in it."""
    times = []
    for line in access_log.read_text().splitlines():
        fields = line.split()
        if fields[-1:] == [uri] and float(fields[0]) >= since:
            times.append(float(fields[-2]) * 1000)
    return times


def served_by(access_log: Path, port: int, *, after_line: int = 0) -> int:
    """Requests nginx logged as answered (200) by the replica on ``port``, after line
    ``after_line`` of its access log."""
    upstream = f"127.0.0.1:{port}"
    lines = access_log.read_text().splitlines()[after_line:]
    return sum(1 for line in lines if line.split()[1:4] == ["200", upstream, "200"])


def stored(engine: Engine, site: str) -> Stored:
    with engine.connect() as conn:
        ids = list(conn.execute(select(events.c.event_id).where(events.c.site == site)).scalars())
        total = select(func.coalesce(func.sum(event_tallies.c.events), 0))
        tallied = int(conn.execute(total.where(event_tallies.c.site == site)).scalar_one())
    return Stored(ids, tallied)
