"""Serving at scale: ``yzt verifier serve --workers N`` on a seeded store against the HTTP
ceiling of the same box (issue 13; DESIGN.md §8: ≥ 5,000 verifies/s with two workers on two
cores, ≥ 60 % of the same server's /healthz, two workers ≥ 1.7× one).

One run measures, with ``wrk -t2 -cC`` (closed loop) on loopback:

- a private nginx serving a static JSON file (its own config in a temp folder, free port): what
  this box can do over HTTP at all;
- ``GET /healthz`` and ``POST /v1/verify`` (a Lua script rotating 20,000 people drawn from the
  whole population) of
  ``yzt verifier serve`` with each ``--workers`` count, started exactly as ops start it;
- ``POST /v1/events`` from ``--kiosks`` connections, ``--batch`` new events a request (ids
  unique across wrk threads and runs), reported as events stored per second.

Targets take turns within a round (the machine is shared, so load drifts between windows) and
ratios are taken within a round, then the median. Beside each rate: p50/p99 from wrk, and the
server's CPU time per request (all its processes, from ``/proc``), which moves far less with
other load on the box.

``--fleet`` instead runs ``--kiosks`` simulated kiosks (benchmarks/fleet_sim.py) against two
replicas behind nginx, one SIGKILLed at half time, and checks every event was stored once.

``--sizes 100000,10000000`` instead seeds a store of each population size (timing the seed),
serves each with the largest ``--workers`` count, and measures ``POST /v1/verify`` on them in
turn within each round, with the database backends' CPU per request on PostgreSQL: the rate at
a province's 10^7 people against 10^5, same run, same server settings (issue 14).

``--stacks`` instead compares HTTP stacks on a bare FastAPI route (``bare_app``): uvicorn with
h11 and asyncio, uvicorn with httptools and uvloop (what ``serve`` runs), and granian (when
installed: ``pip install granian``), at each worker count.

    python -m benchmarks.bench_scale [--store sqlite|postgresql] [--people N] [--workers 1,2]
                                     [--seconds S] [--rounds R] [--connections C]
                                     [--kiosks K] [--batch B]
                                     [--stacks | --fleet | --sizes N,N]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from benchmarks.bench_verify import open_loop

CLI = [sys.executable, "-m", "verifier.cli"]
PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=3"
SITE = "hospital-a"
STATIC_JSON = b'{"status":"ok"}'
LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(token)s"
bodies = {%(bodies)s}
i = 0
request = function()
  i = i %% #bodies + 1
  return wrk.format(nil, nil, nil, bodies[i])
end
"""
EVENTS_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(token)s"
template = %(template)s
subjects = {%(subjects)s}
threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("prefix", "%(run)s-" .. threads .. "-")
end
sent = 0
request = function()
  local events = {}
  for j = 1, %(batch)d do
    sent = sent + 1
    events[j] = string.format(template, prefix .. sent, subjects[sent %% #subjects + 1])
  end
  return wrk.format(nil, nil, nil, '{"events":[' .. table.concat(events, ",") .. ']}')
end
"""
WARMUP_S = 5.0
SUBJECTS = 20_000
"""People a verify run rotates through, drawn from the whole population: more than the server's
128 MB of shared buffers hold at 10^7 people, so a big store is not measured on a few hot
pages."""
"""--fleet: the seconds in which 200 simulated kiosks open their outboxes and connections at once
in one process; their taps count, their latencies are left out."""
NGINX = """
%(user)s
daemon off;
worker_processes auto;
pid %(dir)s/nginx.pid;
error_log %(dir)s/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path %(dir)s/body;
    proxy_temp_path %(dir)s/proxy;
    server {
        listen 127.0.0.1:%(port)d;
        location = /static.json { default_type application/json; root %(dir)s; }
    }
}
"""

bare_app = FastAPI()


@bare_app.get("/bare")
async def bare() -> JSONResponse:
    """The bare route of ``--stacks``: FastAPI and a JSON answer, nothing else."""
    return JSONResponse({"status": "ok"})


@dataclass(frozen=True)
class Window:
    """One wrk run against one target."""

    rate: float
    p50_ms: float
    p99_ms: float
    cpu_us: float


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cli(*args: str) -> str:
    return subprocess.run([*CLI, *args], check=True, capture_output=True, text=True).stdout


def process_tree(root: int) -> list[int]:
    """``root`` and every process below it (Linux ``/proc``)."""
    found, todo = [root], [root]
    while todo:
        for children in Path(f"/proc/{todo.pop()}/task").glob("*/children"):
            try:
                pids = [int(pid) for pid in children.read_text().split()]
            except OSError:
                continue
            todo += [pid for pid in pids if pid not in found]
            found += [pid for pid in pids if pid not in found]
    return found


def cpu_s(pids: list[int]) -> float:
    """User + system CPU seconds of these processes so far."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(
    url: str, *, seconds: int, connections: int, server: int | None, lua: Path | None
) -> Window:
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    args += ["-s", str(lua), url] if lua else [url]
    pids = process_tree(server) if server else []
    before = cpu_s(pids)
    output = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    if "Latency Distribution" not in output:
        sys.exit(f"wrk measured nothing on {url}:\n{output}")
    spent = cpu_s(pids) - before
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    done = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        print(f"  ! {url}: {errors.group(1)} answers were not 2xx", file=sys.stderr)
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)\s*$", output, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)\s*$", output, re.M).group(1))  # type: ignore[union-attr]
    return Window(rate, p50, p99, spent / max(done, 1) * 1e6)


def wait_ready(url: str, process: subprocess.Popen[bytes], log: Path | None = None) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.2)
    tail = log.read_text()[-2000:] if log else ""
    sys.exit(f"{url} never answered\n{tail}")


def started_workers(log: Path) -> int:
    return log.read_text().count("Application startup complete")


@contextmanager
def running(command: list[str], ready: str, log: Path, workers: int = 0) -> Iterator[int]:
    """A server process; yields its pid once ``ready`` answers and ``workers`` verifier workers
    have logged their start."""
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
    try:
        wait_ready(ready, process, log)
        deadline = time.monotonic() + 120
        while started_workers(log) < workers:
            if time.monotonic() > deadline:
                sys.exit(f"only {started_workers(log)} of {workers} workers started")
            time.sleep(0.2)
        time.sleep(2)  # let start-up work (imports, first GC) settle
        yield process.pid
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


@contextmanager
def static_nginx(folder: Path) -> Iterator[str]:
    folder.mkdir()
    (folder / "static.json").write_bytes(STATIC_JSON)
    port = free_port()
    conf = folder / "nginx.conf"
    user = "user root;" if os.geteuid() == 0 else ""  # workers must read the 0700 temp folder
    conf.write_text(NGINX % {"dir": folder, "port": port, "user": user})
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    url = f"http://127.0.0.1:{port}/static.json"
    with running([nginx, "-p", str(folder), "-c", str(conf)], url, folder / "out.log"):
        yield url


@contextmanager
def store(kind: str, data: Path) -> Iterator[str]:
    """The store URL: a SQLite file, or a throwaway PostgreSQL database dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{data / 'verifier.db'}"
        return
    import psycopg

    name = f"yzt_bench_scale_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass(frozen=True)
class Prepared:
    """A seeded store's config, the kiosk token, the verify bodies and the wrk scripts."""

    config: Path
    token: str
    bodies: list[str]
    verify_lua: Path
    events_lua: Path
    seed_s: float
    """How long ``yzt verifier seed`` took."""


def prepare(
    data: Path,
    url: str,
    people: int,
    batch: int,
    pool_size: int | None = None,
    subjects: int = SUBJECTS,
) -> Prepared:
    """A config on ``url`` without rate limits, a kiosk token, ``people`` seeded; returns the
    config and the Lua scripts for /v1/verify (``subjects`` people drawn from the whole
    population) and for /v1/events (``batch`` new events a request, ids unique across threads
    and runs)."""
    from sqlalchemy import func, select

    from verifier.store import open_store
    from verifier.store.schema import health_codes

    cli("init", "--data", str(data))
    config = data / "verifier.toml"
    text = config.read_text()
    pool = "" if pool_size is None else f"\npool_size = {pool_size}"
    text = re.sub(r'^url = ".*"$', f'url = "{url}"{pool}', text, count=1, flags=re.MULTILINE)
    text = text.replace("rate_per_s = 20.0", "rate_per_s = 1000000.0")
    config.write_text(text.replace("burst = 60", "burst = 1000000"))
    kiosk = ["--role", "kiosk", "--kiosk-id", "bench", "--site", SITE]
    token = cli("token", "add", "--config", str(config), *kiosk).strip()
    print(f"seeding {people:,} people …", file=sys.stderr, flush=True)
    started = time.monotonic()
    cli("seed", "--config", str(config), "--people", str(people))
    seed_s = time.monotonic() - started
    engine = open_store(url)
    with engine.connect() as conn:
        drawn = select(health_codes.c.subject).order_by(func.random()).limit(subjects)
        rotation = list(conn.execute(drawn).scalars())
    engine.dispose()
    card: dict[str, object] = {"card_type": "resident", "valid_from": "2020-01-01"}
    card |= {"valid_until": None, "age_band": "60+", "id_number_valid": True}
    bodies = [
        json.dumps({"subject": s, "site": SITE, "event_id": f"bench-{i}", "card": card})
        for i, s in enumerate(rotation)
    ]
    script = data / "verify.lua"
    lua_bodies = ",".join(json.dumps(b) for b in bodies)
    script.write_text(LUA % {"token": token, "bodies": lua_bodies})
    event: dict[str, object] = {"event_id": "%s", "kiosk_id": "bench", "site": SITE, "at": _now()}
    event |= {"verdict": "PASS", "reasons": ["CODE_GREEN"], "source": "online"}
    event |= {"card_type": "resident", "age_band": "60+", "subject": "%s", "latency_ms": 12.5}
    events = data / "events.lua"
    fields = {"token": token, "template": json.dumps(json.dumps(event)), "batch": batch}
    fields |= {"subjects": ",".join(json.dumps(s) for s in rotation), "run": secrets.token_hex(4)}
    events.write_text(EVENTS_LUA % fields)
    return Prepared(config, token, bodies, script, events, seed_s)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def summary(name: str, windows: list[Window]) -> str:
    med = statistics.median
    return (
        f"{name:<34} {med(w.rate for w in windows):>9,.0f} req/s  "
        f"p50 {med(w.p50_ms for w in windows):>6.2f} ms  "
        f"p99 {med(w.p99_ms for w in windows):>7.2f} ms  "
        f"{med(w.cpu_us for w in windows):>5.0f} µs CPU/req  "
        f"(rounds: {' '.join(f'{w.rate:,.0f}' for w in windows)})"
    )


def ratio(top: list[Window], bottom: list[Window]) -> str:
    ratios = [t.rate / b.rate for t, b in zip(top, bottom, strict=True)]
    return f"{statistics.median(ratios):.0%} (rounds {' '.join(f'{r:.0%}' for r in ratios)})"


@dataclass(frozen=True)
class Target:
    name: str
    url: str
    server: int | None
    lua: Path | None = None
    connections: int | None = None
    """wrk connections; the run's ``--connections`` when None"""
    per_request: int = 1
    """what one request carries (events in a batch), for the per-item rate"""


def serving(args: argparse.Namespace, tmp: Path) -> None:
    data = tmp / "data"
    with store(args.store, data) as url:
        ready = prepare(data, url, args.people, args.batch, args.pool_size)
        config, script, events = ready.config, ready.verify_lua, ready.events_lua
        half_load: dict[int, tuple[float, list[float]]] = {}
        runs: dict[tuple[int, str], list[Window]] = {}
        with static_nginx(tmp / "nginx") as static:
            for workers in args.workers:
                port = free_port()
                base = f"http://127.0.0.1:{port}"
                command = [*CLI, "serve", "--config", str(config), "--host", "127.0.0.1"]
                command += ["--port", str(port), "--workers", str(workers)]
                log = tmp / f"serve-{workers}.log"
                with running(command, f"{base}/readyz", log, workers) as pid:
                    targets = [
                        Target("nginx static JSON", static, None),
                        Target("GET /healthz", f"{base}/healthz", pid),
                        Target("POST /v1/verify", f"{base}/v1/verify", pid, script),
                        Target(
                            "POST /v1/events",
                            f"{base}/v1/events",
                            pid,
                            events,
                            connections=args.kiosks,
                            per_request=args.batch,
                        ),
                    ]
                    for _ in range(args.rounds):
                        for target in targets:
                            window = wrk(
                                target.url,
                                seconds=args.seconds,
                                connections=target.connections or args.connections,
                                server=target.server,
                                lua=target.lua,
                            )
                            runs.setdefault((workers, target.name), []).append(window)
                    half = statistics.median(w.rate for w in runs[(workers, "POST /v1/verify")]) / 2
                    latencies = asyncio.run(open_loop(port, ready.token, ready.bodies, half, 8))
                    half_load[workers] = (half, latencies)
    print(
        f"\nstore {args.store}, {args.people:,} people; wrk -t2 -c{args.connections} "
        f"(/v1/events: -c{args.kiosks}, {args.batch} new events a request), "
        f"{args.rounds} rounds of {args.seconds} s per target, targets in turn; medians"
    )
    for workers in args.workers:
        print(f"--workers {workers}")
        for name in ("nginx static JSON", "GET /healthz", "POST /v1/verify", "POST /v1/events"):
            print("  " + summary(name, runs[(workers, name)]))
        uploads = runs[(workers, "POST /v1/events")]
        rates = [w.rate * args.batch for w in uploads]
        print(
            f"  events stored      {statistics.median(rates):,.0f} events/s (budget ≥ 20,000; "
            f"rounds {' '.join(f'{r:,.0f}' for r in rates)}), "
            f"{statistics.median(w.cpu_us for w in uploads) / args.batch:.0f} µs server CPU/event"
        )
        half, latencies = half_load[workers]
        print(
            f"  verify open loop at half load ({half:,.0f}/s, 8 s, {len(latencies):,} requests): "
            f"p50 {latencies[len(latencies) // 2] * 1000:.1f} ms  "
            f"p99 {latencies[int(len(latencies) * 0.99)] * 1000:.1f} ms  (budget p99 ≤ 10 ms)"
        )
        verify, health = runs[(workers, "POST /v1/verify")], runs[(workers, "GET /healthz")]
        print(f"  verify / healthz   {ratio(verify, health)}   (budget ≥ 60 %)")
        print(f"  healthz / nginx    {ratio(health, runs[(workers, 'nginx static JSON')])}")
    first, *others = args.workers
    for workers in others:
        for name in ("GET /healthz", "POST /v1/verify", "POST /v1/events"):
            scale = ratio(runs[(workers, name)], runs[(first, name)])
            print(f"{name}: --workers {workers} / --workers {first} = {scale}  (budget ≥ 170 %)")


STACKS = {
    "uvicorn h11 + asyncio": ["-m", "uvicorn", "--http", "h11", "--loop", "asyncio"],
    "uvicorn httptools + uvloop": ["-m", "uvicorn", "--http", "httptools", "--loop", "uvloop"],
    "granian (uvloop)": ["-m", "granian", "--interface", "asgi", "--loop", "uvloop"],
}


def stacks(args: argparse.Namespace, tmp: Path) -> None:
    available = {
        name: argv for name, argv in STACKS.items() if importlib.util.find_spec(argv[1]) is not None
    }
    for name in STACKS.keys() - available.keys():
        print(f"{name}: not installed, left out", file=sys.stderr)
    runs: dict[tuple[str, int], list[Window]] = {}
    for _ in range(args.rounds):
        for name, argv in available.items():
            for workers in args.workers:
                port = free_port()
                quiet = ["--no-access-log", "--log-level", "warning"]
                command = [sys.executable, *argv, "benchmarks.bench_scale:bare_app", *quiet]
                command += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
                url = f"http://127.0.0.1:{port}/bare"
                with running(command, url, tmp / "stack.log") as pid:
                    window = wrk(
                        url,
                        seconds=args.seconds,
                        connections=args.connections,
                        server=pid,
                        lua=None,
                    )
                runs.setdefault((name, workers), []).append(window)
    print(
        f"\nbare FastAPI route GET /bare; wrk -t2 -c{args.connections}, {args.rounds} rounds of "
        f"{args.seconds} s, stacks in turn; medians"
    )
    for (name, workers), windows in runs.items():
        print(summary(f"{name}, {workers} worker(s)", windows))


def fleet(args: argparse.Namespace, tmp: Path) -> None:
    """``--kiosks`` simulated kiosks (benchmarks/fleet_sim.py) against two one-worker replicas
    behind nginx; the first replica SIGKILLed at half time."""
    import asyncio

    from benchmarks.fleet_sim import (
        Replica,
        Schedule,
        SimKiosk,
        behind_nginx,
        proxy_times_ms,
        run_fleet,
        stored,
    )
    from verifier.store import open_store
    from verifier.store.schema import health_codes
    from verifier.store.tokens import add_token

    data = tmp / "data"
    with store("postgresql", data) as url:
        config = prepare(data, url, args.people, args.batch).config
        engine = open_store(url)
        with engine.connect() as conn:
            subjects = [r[0] for r in conn.execute(health_codes.select().limit(2000))]
        site = "fleet"
        kiosks = [
            SimKiosk(k, site, add_token(engine, name=k, role="kiosk", site=site, kiosk_id=k))
            for k in (f"fleet-{n:03d}" for n in range(args.kiosks))
        ]
        replicas = [Replica(config, free_port(), tmp / f"replica-{n}.log") for n in (1, 2)]
        schedule = Schedule(seconds=args.fleet_seconds, warmup_s=WARMUP_S)

        async def kill() -> None:
            print("killing replica 1 (SIGKILL) …", file=sys.stderr, flush=True)
            await asyncio.to_thread(replicas[0].kill)

        print(f"{args.kiosks} kiosks for {args.fleet_seconds} s …", file=sys.stderr, flush=True)
        # outboxes on tmpfs: 200 kiosks have 200 disks, not one shared by one process
        with (
            behind_nginx(tmp / "nginx", free_port(), replicas) as proxy,
            tempfile.TemporaryDirectory(dir="/dev/shm") as outboxes,
        ):
            run = asyncio.run(
                run_fleet(proxy, kiosks, subjects, schedule, Path(outboxes), midway=kill)
            )
        at_proxy = proxy_times_ms(tmp / "nginx" / "access.log", "/v1/verify", run.measured_from)
        back = stored(engine, site)
        engine.dispose()
    problems = back.check(run.made)
    print(
        f"\nfleet: {args.kiosks} kiosks, a tap every {schedule.tap_every_s:g} s and a heartbeat "
        f"every {schedule.heartbeat_every_s:g} s each, {run.seconds:.0f} s, two one-worker "
        f"replicas behind nginx on PostgreSQL ({args.people:,} people), one SIGKILLed at half time"
    )
    print(
        f"  taps {len(run.made):,} ({len(run.made) / run.seconds:,.0f}/s)  verify p50 "
        f"{run.p(50):.1f} ms  p99 {run.p(99):.1f} ms  max {max(run.verify_ms):.1f} ms  "
        f"(budget p99 ≤ 20 ms), as the kiosks saw it after the first {WARMUP_S:g} s"
    )
    cut = statistics.quantiles(at_proxy, n=100, method="inclusive")
    print(
        f"  verify at nginx: p50 {cut[49]:.1f} ms  p99 {cut[98]:.1f} ms  max {max(at_proxy):.1f} ms"
    )
    print(
        f"  taps decided offline {len(run.errors)}, heartbeats {run.heartbeats:,} "
        f"(failed {len(run.heartbeat_errors)}), events left in outboxes {run.undrained}"
    )
    print(f"  events stored {len(back.ids):,}: " + ("; ".join(problems) or "each exactly once"))


def sizes(args: argparse.Namespace, tmp: Path) -> None:
    """``POST /v1/verify`` at each ``--sizes`` population, each on a store and server of its
    own, the sizes taking turns within each round."""
    from benchmarks.bench_import import server_cpu_s
    from verifier.store.engine import make_engine

    workers = max(args.workers)
    runs: dict[int, list[Window]] = {}
    seeded: dict[int, float] = {}
    database_us: dict[int, list[float]] = {}
    with ExitStack() as stack:
        targets: dict[int, Target] = {}
        engines = {}
        for people in args.sizes:
            data = tmp / f"data-{people}"
            url = stack.enter_context(store(args.store, data))
            ready = prepare(data, url, people, args.batch, args.pool_size)
            seeded[people] = ready.seed_s
            engines[people] = make_engine(url)
            stack.callback(engines[people].dispose)
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            command = [*CLI, "serve", "--config", str(ready.config), "--host", "127.0.0.1"]
            command += ["--port", str(port), "--workers", str(workers)]
            log = tmp / f"serve-{people}.log"
            pid = stack.enter_context(running(command, f"{base}/readyz", log, workers))
            name = f"POST /v1/verify, {people:,} people"
            targets[people] = Target(name, f"{base}/v1/verify", pid, ready.verify_lua)
        for _ in range(args.rounds):
            for people, target in targets.items():
                before = server_cpu_s(engines[people])
                window = wrk(
                    target.url,
                    seconds=args.seconds,
                    connections=args.connections,
                    server=target.server,
                    lua=target.lua,
                )
                spent = server_cpu_s(engines[people]) - before
                runs.setdefault(people, []).append(window)
                database_us.setdefault(people, []).append(
                    spent / (window.rate * args.seconds) * 1e6
                )
    print(
        f"\nstore {args.store}, --workers {workers}; wrk -t2 -c{args.connections}, "
        f"{args.rounds} rounds of {args.seconds} s per size, sizes in turn; medians"
    )
    for people, windows in runs.items():
        database = statistics.median(database_us[people])
        print(
            f"  {summary(targets[people].name, windows)}  + {database:.0f} µs database CPU/req  "
            f"seeded in {seeded[people]:.1f} s"
        )
    smallest, *larger = args.sizes
    for people in larger:
        print(
            f"verify at {people:,} / at {smallest:,} people = "
            f"{ratio(runs[people], runs[smallest])}  (budget ≥ 90 %)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--workers", type=lambda s: [int(n) for n in s.split(",")], default=[1, 2])
    parser.add_argument("--seconds", type=int, default=4, help="each target, each round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--kiosks", type=int, default=200, help="/v1/events connections; --fleet")
    parser.add_argument("--batch", type=int, default=100, help="events per /v1/events request")
    parser.add_argument("--pool-size", type=int, help="[store] pool_size (default: the config's)")
    parser.add_argument("--stacks", action="store_true", help="compare HTTP stacks instead")
    parser.add_argument("--fleet", action="store_true", help="run the kiosk fleet instead")
    parser.add_argument("--fleet-seconds", type=float, default=60.0)
    parser.add_argument(
        "--sizes",
        type=lambda s: [int(n) for n in s.split(",")],
        help="compare verify at these population sizes instead",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk (make deps does)")
    with tempfile.TemporaryDirectory(prefix="yzt-bench-scale-") as tmp:
        mode = fleet if args.fleet else stacks if args.stacks else sizes if args.sizes else serving
        mode(args, Path(tmp))


if __name__ == "__main__":
    main()
