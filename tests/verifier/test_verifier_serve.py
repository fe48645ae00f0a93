"""The real thing: ``yzt verifier`` commands as subprocesses and ``serve`` on a free TCP port,
then a privacy scan of every table, the server's log, /metrics and the error answers; and the
server as an attacker meets it: ID numbers in paths, queries and broken requests (never in its
log), trickling headers (cut), 1,100 slow connections under the systemd default of 1,024 open
files (it keeps answering, its log stays short), forwarded addresses (believed from configured
proxies only)."""

from __future__ import annotations

import collections
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx
import pytest
from sqlalchemy import MetaData, create_engine, select
from verifier_helpers import (
    csv_body,
    free_port,
    id_numbers,
    serving,
    serving_process,
    write_config,
)

from verifier.config import load_config
from verifier.store import open_store
from verifier.store.tokens import add_token
from verifier.subjects import subject_of

BOUND_S = 60.0
"""How long a test waits for something to happen: a bound on a hang, never a measurement."""


def yzt(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "verifier.cli", *args], capture_output=True, text=True, timeout=60
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_serve_end_to_end_and_no_id_number_anywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("YZT_VERIFIER_SERVER__ACCESS_LOG", "true")  # scanned too
    data = tmp_path / "data"
    init = yzt("init", "--data", str(data))
    admin = init.stdout.strip().splitlines()[-1]
    assert len(admin) >= 40 and (data / "pepper").stat().st_mode & 0o777 == 0o600
    config = str(data / "verifier.toml")
    kiosk = yzt(
        "token",
        "add",
        "--config",
        config,
        "--role",
        "kiosk",
        "--kiosk-id",
        "lane-1",
        "--site",
        "hospital-a",
    ).stdout.strip()
    numbers = id_numbers(4, seed=99)
    good, red, lost, other = numbers
    bad = good[:17] + ("1" if good[17] != "1" else "2")
    codes = tmp_path / "codes.csv"
    codes.write_bytes(
        csv_body(
            "id_number,color,reason,updated_at",
            [
                f"{good},green,ok,2026-11-01T00:00:00Z",
                f"{red},red,case,2026-11-01T00:00:00Z",
                f"{bad},green,ok,2026-11-01T00:00:00Z",
                f"{other},teal,x,2026-11-01T00:00:00Z",
            ],
        )
    )
    imported = yzt("import", "codes", "--config", config, str(codes), check=False)
    assert imported.returncode == 1
    assert "line 4: id_number: check digit does not match" in imported.stderr
    cards = tmp_path / "cards.ndjson"
    cards.write_text(f'{{"id_number": "{lost}", "status": "lost", "updated_at": "2026-11-01"}}\n')
    yzt("import", "cards", "--config", config, str(cards))
    with serving(Path(config), tmp_path / "serve.log") as base:
        pepper = load_config(Path(config)).pepper_bytes()
        auth = {"Authorization": f"Bearer {kiosk}"}
        card = {"card_type": "resident", "valid_until": None, "age_band": "60+"}
        answer = httpx.post(
            f"{base}/v1/verify",
            headers=auth,
            json={
                "subject": subject_of(pepper, red),
                "site": "hospital-a",
                "event_id": "e-1",
                "card": card,
            },
        )
        assert answer.json()["verdict"] == "DENY" and "date" in answer.headers
        sneaky = httpx.post(
            f"{base}/v1/verify",
            headers=auth,
            json={
                "subject": good,
                "site": "hospital-a",
                "event_id": "e-2",
                "card": card,
                "id_number": good,
            },
        )
        assert sneaky.status_code == 422
        feed = httpx.put(
            f"{base}/v1/feeds/codes",
            content=codes.read_bytes(),
            headers={"Authorization": f"Bearer {admin}"},
        )
        assert feed.json()["rejected"] == 2
        metrics = httpx.get(f"{base}/metrics").text
        answers = sneaky.text + feed.text + imported.stdout + imported.stderr
    lookup = yzt("lookup", "--config", config, "--site", "hospital-a", lost)
    assert '"CARD_REPORTED_LOST"' in lookup.stdout
    wrong = yzt("lookup", "--config", config, "--site", "x", bad, check=False)
    assert wrong.returncode == 2 and "check digit" in wrong.stderr
    dump = []
    engine = create_engine(f"sqlite:///{data / 'verifier.db'}")
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            dump += [repr(tuple(row)) for row in conn.execute(select(table))]
    engine.dispose()
    assert len(dump) > 5
    haystacks = {
        "tables": "\n".join(dump),
        "log": (tmp_path / "serve.log").read_text(),
        "metrics": metrics,
        "answers": answers + wrong.stderr,
    }
    assert "127.0.0.1 POST /v1/verify 200" in haystacks["log"]
    for where, text in haystacks.items():
        for number in [*numbers, bad]:
            assert number not in text, f"an ID number leaked into {where}"
            assert number[:-1] not in text, f"an ID number leaked into {where}"


@contextmanager
def served(
    tmp_path: Path,
    settings: dict[str, str] | None = None,
    open_files: tuple[int, int] | None = None,
) -> Iterator[tuple[str, Path, str]]:
    """``yzt verifier serve`` on SQLite with ``[server]`` settings from the environment
    (``{"access_log": "true"}``) and optionally other (soft, hard) open-file limits; yields the
    base URL, the log file and an admin token; SIGTERM afterwards."""
    config = write_config(tmp_path / "data", f"sqlite:///{tmp_path / 'verifier.db'}")
    engine = open_store(f"sqlite:///{tmp_path / 'verifier.db'}")
    admin = add_token(engine, name="ops", role="admin")
    engine.dispose()
    env = {f"YZT_VERIFIER_SERVER__{k.upper()}": v for k, v in (settings or {}).items()}
    log = tmp_path / "serve.log"

    def limit_open_files() -> None:
        if open_files is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, open_files)

    with serving_process(config, log, env=env, preexec_fn=limit_open_files, timeout_s=BOUND_S) as (
        url,
        _server,
    ):
        yield url, log, admin


def raw_exchange(url: str, data: bytes) -> bytes:
    """Send raw bytes, return what comes back until the server closes or goes quiet."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(data)
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except (TimeoutError, ConnectionResetError):
            pass
    return answer


def test_nothing_sent_in_a_path_or_query_reaches_the_log(tmp_path: Path) -> None:
    """With the access log on (the stronger case): query strings, paths, a percent-encoded path,
    broken request lines and a forged X-Forwarded-For, each carrying an ID number."""
    number = id_numbers(1, seed=6)[0]
    encoded = "".join(f"%{ord(c):02X}" for c in number)
    with served(tmp_path, {"access_log": "true"}) as (url, log, admin):
        auth = {"Authorization": f"Bearer {admin}"}
        sent = [
            httpx.get(f"{url}/v1/stats?site={number}", headers=auth),
            httpx.get(f"{url}/v1/stats.csv?site={number}&days=1", headers=auth),
            httpx.get(f"{url}/v1/risklist?since={number}", headers=auth),
            httpx.get(f"{url}/v1/lookup/{number}", headers=auth),
            httpx.get(f"{url}/{encoded}?q={number[:17]}"),
            httpx.post(f"{url}/v1/verify?x={number}", headers=auth, json={"subject": number}),
            httpx.get(f"{url}/healthz", headers={"X-Forwarded-For": number}),
        ]
        assert [r.status_code for r in sent][-1] == 200
        broken = [
            f"GET /{number} HTTP/1.1 extra\r\nHost: x\r\n\r\n",
            f"{number} / HTTP/1.1\r\nHost: x\r\n\r\n",
            f"GET /v1/stats?site={number} HTTP/1.1\r\nHost: x\r\n{number}\r\n\r\n",
        ]
        for request in broken:
            assert raw_exchange(url, request.encode()).startswith(b"HTTP/1.1 400")
        # one line about the /healthz above shows that the access log is on
        assert httpx.get(f"{url}/healthz").status_code == 200
    text = log.read_text()
    assert "GET /v1/stats 401" not in text and "GET /v1/stats 200" in text
    assert "- GET /healthz 200" in text  # the forged X-Forwarded-For is not an address
    assert "Invalid HTTP request received" in text
    for leaked in (number, number[:17], number[:14], encoded, number.lower()):
        assert leaked not in text, f"{leaked} reached the log"


def test_a_trickling_header_is_cut_after_the_header_timeout(tmp_path: Path) -> None:
    with served(tmp_path, {"header_timeout_s": "1"}) as (url, _, _):
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=BOUND_S) as slow:
            slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            answer, sent = b"", 0
            deadline = time.monotonic() + BOUND_S
            try:
                while time.monotonic() < deadline:
                    slow.sendall(b"X-Slow: 1\r\n")
                    sent += 1
                    slow.settimeout(0.1)
                    try:
                        answer = slow.recv(1024)
                        break
                    except TimeoutError:
                        continue
            except (BrokenPipeError, ConnectionResetError):
                answer = b""
            assert answer == b"", f"expected a close without an answer, got {answer[:80]!r}"
            assert time.monotonic() < deadline, "the trickling connection was never cut"
        assert httpx.get(f"{url}/healthz").status_code == 200
        too_big = raw_exchange(
            url, b"GET /healthz HTTP/1.1\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n"
        )
        assert too_big.startswith(b"HTTP/1.1 400"), too_big[:80]


def test_many_slow_connections_leave_the_server_answering_and_its_log_short(
    tmp_path: Path,
) -> None:
    """1,100 connections that send half a request and then trickle, against a server started
    with systemd's default open-file limits (soft 1,024; hard higher) and a cap of 100
    connections: a normal request gets its answer or a 503 problem past the cap, and the log
    holds a few lines, not thousands."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 1400:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    settings = {"header_timeout_s": "5", "max_connections": "100"}
    with served(tmp_path, settings, open_files=(1024, 4096)) as (url, log, _):
        host, port = url.removeprefix("http://").split(":")
        slow: list[socket.socket] = []
        statuses: list[int] = []
        try:
            for _ in range(1100):
                sock = socket.socket()
                sock.setblocking(False)
                sock.connect_ex((host, int(port)))
                slow.append(sock)
            deadline = time.monotonic() + BOUND_S
            for round_ in range(200):
                if time.monotonic() > deadline:
                    break
                for sock in slow:
                    with suppress(OSError):
                        sock.send(b"GET /healthz HTTP/1.1\r\n" if round_ == 0 else b"X: 1\r\n")
                try:
                    answer = httpx.get(f"{url}/healthz", timeout=5)
                except httpx.TransportError:
                    continue
                statuses.append(answer.status_code)
                if answer.status_code == 503:
                    assert answer.headers["content-type"] == "application/problem+json"
                    assert answer.headers["retry-after"] == "1"
                if round_ >= 5:
                    break
        finally:
            for sock in slow:
                sock.close()
        assert statuses and set(statuses) <= {200, 503}, statuses
        deadline = time.monotonic() + BOUND_S
        while httpx.get(f"{url}/healthz", timeout=10).status_code != 200:
            assert time.monotonic() < deadline, "the server never answered 200 again"
            time.sleep(0.2)
    lines = log.read_text().splitlines()
    repeats = collections.Counter(re.sub(r"^\S+ \S+ ", "", line) for line in lines)
    assert len(lines) < 200, "\n".join(lines[:50])
    assert max(repeats.values()) < 20, repeats.most_common(3)


def test_forwarded_addresses_are_believed_from_configured_proxies_only(tmp_path: Path) -> None:
    forwarded = {"X-Forwarded-For": "203.0.113.7"}
    with served(tmp_path / "a", {"access_log": "true"}) as (url, log, _):
        httpx.get(f"{url}/healthz", headers=forwarded)
    assert "203.0.113.7 GET /healthz 200" in log.read_text()
    proxies = {"access_log": "true", "forwarded_allow_ips": '["10.1.2.3"]'}
    with served(tmp_path / "b", proxies) as (url, log, _):
        httpx.get(f"{url}/healthz", headers=forwarded)
    text = log.read_text()
    assert "127.0.0.1 GET /healthz 200" in text and "203.0.113.7" not in text
    with served(tmp_path / "c") as (url, log, _):
        httpx.get(f"{url}/healthz")
    assert "GET /healthz" not in log.read_text()  # the access log is off by default
    config = write_config(tmp_path / "d", f"sqlite:///{tmp_path / 'd.db'}")
    refused = subprocess.run(
        [sys.executable, "-m", "verifier.cli", "serve", "--config", str(config)],
        env={**os.environ, "YZT_VERIFIER_SERVER__FORWARDED_ALLOW_IPS": '["*"]'},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 2
    assert "server.forwarded_allow_ips" in refused.stderr and "'*'" in refused.stderr


def test_two_workers_publish_the_risk_list_once_at_start(tmp_path: Path) -> None:
    """Each worker used to publish the whole risk list on start (seconds of CPU at 10^6 people,
    its event loop starved meanwhile): one of them does now, the other still answers."""
    config = write_config(tmp_path / "data", f"sqlite:///{tmp_path / 'verifier.db'}")
    yzt("keys", "init", "--config", str(config))
    port = free_port()
    log = tmp_path / "serve.log"
    command = [sys.executable, "-m", "verifier.cli", "serve", "--config", str(config)]
    with log.open("wb") as sink:
        server = subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + BOUND_S
        while (
            log.read_text().count("Application startup complete") < 2
            or "published" not in log.read_text()
        ):
            assert time.monotonic() < deadline and server.poll() is None, log.read_text()
            time.sleep(0.2)
        for _ in range(20):
            assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    text = log.read_text()
    assert len(re.findall(r"risk list version \d+ published", text)) == 1, text
    assert "died" not in text
