"""``POST /v1/verify`` against bare JSON endpoints of the same server (DESIGN.md §8: ≥ 60 % of
the bare endpoint's throughput; p99 ≤ 25 ms at half of max load).

A real uvicorn server process — the verifier app exactly as ``yzt verifier serve`` runs it (one
worker, SQLite, a seeded population, access log off as in production) plus one bare
``POST /bench/echo`` route — and load from other processes on loopback: ``wrk`` (Debian
package) for the maximum throughput of ``GET /healthz``, ``POST /bench/echo`` (same bodies)
and ``POST /v1/verify``; then an open-loop client at half the measured /v1/verify maximum for
p50/p99 (latency counted from each request's scheduled start, so a stall is not hidden).

The three endpoints take turns for ``--rounds`` rounds of ``--seconds`` each, and a ratio is taken
within a round: on a shared machine the load drifts between windows, and one long window per
endpoint compared windows of different load more than endpoints. Medians are reported, and
beside them the server's CPU time per request (from ``/proc``), whose ratio moves far less with
the machine's other load: it is the throughput ratio of a server that has a core to itself.

    python -m benchmarks.bench_verify [--people N] [--seconds S] [--rounds R]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

CLI = [sys.executable, "-m", "verifier.cli"]
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


def cli(*args: str) -> str:
    return subprocess.run([*CLI, *args], check=True, capture_output=True, text=True).stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def verify_bodies(db: Path, count: int) -> list[str]:
    with sqlite3.connect(db) as conn:
        subjects = [
            r[0] for r in conn.execute("SELECT subject FROM health_codes LIMIT ?", (count,))
        ]
    card = {
        "card_type": "resident",
        "valid_from": "2020-01-01",
        "valid_until": None,
        "age_band": "60+",
        "id_number_valid": True,
    }
    return [
        json.dumps({"subject": s, "site": "hospital-a", "event_id": f"bench-{i}", "card": card})
        for i, s in enumerate(subjects)
    ]


@dataclass(frozen=True)
class Window:
    """One wrk run against one endpoint, and the server's CPU time per request during it."""

    rate: float
    p99: str
    cpu_us: float


def server_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(url: str, seconds: int, script: Path | None = None, server: int | None = None) -> Window:
    args = ["wrk", "-t1", "-c16", f"-d{seconds}s", "--latency", url]
    if script is not None:
        args[1:1] = ["-s", str(script)]
    cpu = server_cpu_s(server) if server is not None else 0.0
    output = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    cpu = server_cpu_s(server) - cpu if server is not None else 0.0
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    done = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+(\S+)", output)
    return Window(rate, p99.group(1) if p99 else "?", cpu / max(done, 1) * 1e6)


async def open_loop(
    port: int, token: str, bodies: list[str], rate: float, seconds: float, connections: int = 32
) -> list[float]:
    """Requests at a fixed rate over keep-alive connections (a minimal HTTP/1.1 client, so the
    load generator is not what is measured); latency from each one's scheduled start."""
    total = int(rate * seconds)
    queue: asyncio.Queue[int] = asyncio.Queue()
    latencies: list[float] = []
    start = time.perf_counter() + 0.2
    requests = [
        (
            f"POST /v1/verify HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(b.encode())}\r\n\r\n{b}"
        ).encode()
        for b in bodies
    ]

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while (i := await queue.get()) >= 0:
            writer.write(requests[i % len(requests)])
            head = await reader.readuntil(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200"), head[:40]
            length = int(re.search(rb"(?i)content-length: (\d+)", head).group(1))  # type: ignore[union-attr]
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - (start + i / rate))
        writer.close()

    workers = [asyncio.create_task(connection()) for _ in range(connections)]
    for i in range(total):
        await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
        queue.put_nowait(i)
    for _ in workers:
        queue.put_nowait(-1)
    await asyncio.gather(*workers)
    return sorted(latencies)


def serve_with_echo(config: Path, port: int) -> None:
    """The verifier app as ``yzt verifier serve`` runs it, plus ``POST /bench/echo`` — a bare
    JSON endpoint that parses the same body and answers it, nothing else: the baseline that pays
    for HTTP and JSON but not for the verifier's work."""
    from fastapi import Request
    from fastapi.responses import JSONResponse

    from verifier.app import create_app
    from verifier.config import load_config
    from verifier.server import run_app

    app = create_app(load_config(config))

    @app.post("/bench/echo")
    async def echo(request: Request) -> JSONResponse:
        return JSONResponse(await request.json())

    run_app(app, host="127.0.0.1", port=port)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=4, help="each endpoint, each round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--serve", nargs=2, metavar=("CONFIG", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_with_echo(Path(args.serve[0]), int(args.serve[1]))
        return
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")
    with tempfile.TemporaryDirectory(prefix="yzt-bench-verify-") as tmp:
        data = Path(tmp)
        cli("init", "--data", str(data))
        config = data / "verifier.toml"
        text = config.read_text().replace("rate_per_s = 20.0", "rate_per_s = 1000000.0")
        config.write_text(text.replace("burst = 60", "burst = 1000000"))
        token = cli(
            "token", "add", "--config", str(config), "--role", "kiosk", "--kiosk-id", "bench",
            "--site", "hospital-a",
        ).strip()  # fmt: skip
        cli("seed", "--config", str(config), "--people", str(args.people))
        bodies = verify_bodies(data / "verifier.db", 2000)
        script = data / "verify.lua"
        lua_bodies = ",".join(json.dumps(b) for b in bodies)
        script.write_text(LUA % {"token": token, "bodies": lua_bodies})
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.bench_verify", "--serve", str(config), str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(300):
                try:
                    if httpx.get(f"{base}/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            targets = [
                ("GET /healthz (bare JSON, no body)", f"{base}/healthz", None),
                ("POST /bench/echo (bare JSON, same body)", f"{base}/bench/echo", script),
                ("POST /v1/verify", f"{base}/v1/verify", script),
            ]
            for _, url, lua in targets:
                wrk(url, 2, lua)
            runs: dict[str, list[Window]] = {name: [] for name, _, _ in targets}
            for _ in range(args.rounds):
                for name, url, lua in targets:
                    runs[name].append(wrk(url, args.seconds, lua, server.pid))
            bare, echo, verify = (runs[name] for name, _, _ in targets)
            half = statistics.median(w.rate for w in verify) / 2
            latencies = asyncio.run(open_loop(port, token, bodies, half, 8))
            p50 = latencies[len(latencies) // 2] * 1000
            p99 = latencies[int(len(latencies) * 0.99)] * 1000
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=20)
    print(
        f"population {args.people:,}; one uvicorn worker; wrk -t1 -c16, {args.rounds} rounds "
        f"of {args.seconds}s per endpoint, endpoints in turn; medians"
    )
    for name, _, _ in targets:
        windows = runs[name]
        print(
            f"{name:<42} {statistics.median(w.rate for w in windows):>9,.0f} req/s  "
            f"{statistics.median(w.cpu_us for w in windows):>5,.0f} µs server CPU/request  "
            f"(rounds: {' '.join(f'{w.rate:,.0f}' for w in windows)} req/s; "
            f"p99 {' '.join(w.p99 for w in windows)}, closed loop)"
        )
    for name, baseline in [("/healthz", bare), ("/bench/echo", echo)]:
        ratios = [v.rate / b.rate for v, b in zip(verify, baseline, strict=True)]
        ratio = statistics.median(ratios)
        cpu_ratio = statistics.median(b.cpu_us for b in baseline) / statistics.median(
            v.cpu_us for v in verify
        )
        verdict = "ok" if ratio >= 0.6 else "UNDER"
        print(
            f"ratio vs {name:<12} {ratio:.0%} (rounds: {' '.join(f'{r:.0%}' for r in ratios)}; "
            f"budget ≥ 60 %: {verdict}); by server CPU per request {cpu_ratio:.0%}"
        )
    print(
        f"half load {half:,.0f} req/s open loop 8s, {len(latencies)} requests: p50 {p50:.1f} ms, "
        f"p99 {p99:.1f} ms (budget ≤ 25 ms: {'ok' if p99 <= 25 else 'OVER'})"
    )


if __name__ == "__main__":
    main()
