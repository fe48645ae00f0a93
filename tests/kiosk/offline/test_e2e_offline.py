"""End to end with real processes: the verifier (its own process, SQLite store, risk-list route)
and the kiosk daemon (SAM simulator over TCP → daemon → HTTP).

1. The verifier is SIGKILLed: the kiosk keeps deciding from its synced risk list (``source`` on
   /api/screen); the verifier comes back: the outbox drains, every tap's event stored once.
2. The verifier runs in its own network namespace behind a veth pair; the link is cut: the kiosk
   behaves as with a killed verifier; the link comes back: the backlog drains.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import in_ci
from sqlalchemy import Engine, select

from kiosk.config import load_config
from kiosk.daemon import KioskDaemon
from kiosk.offline import OfflineState
from kiosk.subject import subject_of
from readers.simulator import DEMO_CARDS, CardDeck, SamSimulator
from verifier.config import load_config as load_verifier_config
from verifier.risklist.build import publish
from verifier.risklist.keys import init_keys, load_signing_key
from verifier.store import open_store
from verifier.store.schema import events, health_codes
from verifier.store.tokens import add_token

PEPPER = b"e2e-offline-pepper-0123456789abcdef-0123456789"
LAUNCH = """
import sys, uvicorn
from pathlib import Path
from verifier.app import create_app
from verifier.config import load_config
from verifier.risklist.routes import router
app = create_app(load_config(Path(sys.argv[1])))
app.include_router(router)
uvicorn.run(app, host=sys.argv[2], port=int(sys.argv[3]), log_level="warning")
"""
CODES = (("green", "green"), ("red", "red"), ("elder", "green"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def id_number(card: str) -> str:
    return str(json.loads((DEMO_CARDS / f"{card}.json").read_text())["id_number"])


@dataclass
class Rig:
    config: Path
    host: str
    port: int
    engine: Engine
    sim: SamSimulator
    wrap: list[str] = field(default_factory=list)  # e.g. ["ip", "netns", "exec", NS]
    verifier: subprocess.Popen[bytes] | None = None
    kiosk: KioskDaemon | None = None
    offline: OfflineState | None = None
    http: httpx.AsyncClient | None = None

    def start_verifier(self) -> None:
        command = [sys.executable, "-c", LAUNCH, str(self.config), self.host, str(self.port)]
        self.verifier = subprocess.Popen([*self.wrap, *command])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://{self.host}:{self.port}/healthz").status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError("the verifier did not come up")

    def kill_verifier(self) -> None:
        assert self.verifier is not None
        os.kill(self.verifier.pid, signal.SIGKILL)
        self.verifier.wait(10)

    async def status(self) -> dict[str, Any]:
        assert self.http is not None
        return (await self.http.get("/api/status")).json()  # type: ignore[no-any-return]

    async def tap(self, card: str) -> dict[str, Any]:
        """Take the last card away, wait for the idle screen, place ``card``, return its result."""
        assert self.http is not None
        self.sim.remove()
        await self._screen_until(lambda screen: screen["state"] == "idle", f"idle before {card}")
        self.sim.insert(card)
        return await self._screen_until(lambda s: s["state"] == "result", f"result for {card}")

    async def _screen_until(self, wanted: Any, what: str) -> dict[str, Any]:
        assert self.http is not None
        end = time.monotonic() + 10
        while time.monotonic() < end:
            screen: dict[str, Any] = (await self.http.get("/api/screen")).json()
            if wanted(screen):
                return screen
            await asyncio.sleep(0.05)
        raise AssertionError(f"no {what}")

    async def wait_fresh(self) -> None:
        assert self.offline is not None
        for _ in range(200):
            if self.offline.status()["risklist"]["fresh"]:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"no risk-list sync: {self.offline.status()}")

    async def drained(self) -> None:
        end = time.monotonic() + 20
        while (await self.status())["outbox"]["pending"] and time.monotonic() < end:
            await asyncio.sleep(0.1)
        assert (await self.status())["outbox"]["pending"] == 0

    def stored_events(self) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(events.c.event_id, events.c.source)))


def prepare_verifier(folder: Path) -> tuple[Path, Engine, Path, str]:
    """Config, store with three people's codes, keys, a published list and a kiosk token."""
    pepper = folder / "pepper"
    pepper.write_bytes(PEPPER)
    pepper.chmod(0o600)
    config = folder / "verifier.toml"
    config.write_text(
        f'[store]\nurl = "sqlite:///{folder / "v.db"}"\n\n[privacy]\npepper_file = "{pepper}"\n'
    )
    engine = open_store(f"sqlite:///{folder / 'v.db'}")
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        for card, color in CODES:
            subject = subject_of(PEPPER, id_number(card))
            conn.execute(
                health_codes.insert().values(
                    subject=subject, color=color, reason="feed", updated_at=now
                )
            )
    settings = load_verifier_config(config)
    public = init_keys(settings)
    publish(engine, load_signing_key(settings))
    token = add_token(engine, name="lane-1", role="kiosk", kiosk_id="lane-1", site="hospital-a")
    return config, engine, public, token


def kiosk_toml(folder: Path, url: str, sim_port: int, public: Path, token: str) -> Path:
    (folder / "token").write_text(token)
    (folder / "token").chmod(0o600)
    path = folder / "kiosk.toml"
    path.write_text(
        f"""
[kiosk]
id = "lane-1"
site = "hospital-a"
[reader]
uri = "tcp://127.0.0.1:{sim_port}"
[verifier]
url = "{url}"
token_file = "token"
public_key_file = "{public}"
deadline_s = 0.6
upload_interval_s = 0.5
[privacy]
pepper_file = "pepper"
[ui]
port = 0
result_hold_s = 30
[voice]
enabled = false
[data]
dir = "kiosk-data"
"""
    )
    return path


@asynccontextmanager
async def running(folder: Path, host: str, wrap: list[str]) -> AsyncIterator[Rig]:
    config, engine, public, token = prepare_verifier(folder)
    sim = SamSimulator(CardDeck.from_dir(DEMO_CARDS))
    sim_port = await sim.serve_tcp("127.0.0.1", 0)
    rig = Rig(config, host, free_port(), engine, sim, wrap)
    path = kiosk_toml(folder, f"http://{host}:{rig.port}", sim_port, public, token)
    settings = load_config(path)
    rig.kiosk = KioskDaemon(settings)
    rig.start_verifier()
    await rig.kiosk.start()  # the daemon opens, starts and closes its offline data
    assert isinstance(rig.kiosk.offline, OfflineState)
    rig.offline = rig.kiosk.offline
    rig.http = httpx.AsyncClient(base_url=rig.kiosk.screen_url, timeout=5)
    try:
        yield rig
    finally:
        await rig.http.aclose()
        await rig.kiosk.aclose()
        await sim.aclose()
        if rig.verifier is not None and rig.verifier.poll() is None:
            rig.kill_verifier()
        engine.dispose()


async def test_verifier_killed_kiosk_decides_from_cache_and_list_then_drains_exactly_once(
    tmp_path: Path,
) -> None:
    async with running(tmp_path, "127.0.0.1", []) as rig:
        await rig.wait_fresh()
        online = await rig.tap("green")
        assert (online["verdict"], online["source"]) == ("PASS", "online")

        rig.kill_verifier()
        green = await rig.tap("green")
        red = await rig.tap("red")
        elder = await rig.tap("elder")
        assert (green["verdict"], green["source"]) == ("PASS", "cache")
        assert (red["verdict"], red["source"], red["reasons"]) == ("DENY", "risklist", ["CODE_RED"])
        assert elder["source"] == "risklist"
        assert (await rig.status())["outbox"]["pending"] >= 3

        rig.start_verifier()
        await rig.drained()
        rows = rig.stored_events()
        ids = [r.event_id for r in rows]
        assert len(ids) == len(set(ids)) == 4
        assert sorted(r.source for r in rows) == ["cache", "online", "risklist", "risklist"]


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


@contextmanager
def namespace() -> Iterator[tuple[str, str, str]]:
    """A network namespace joined to ours by a veth pair: (namespace, host link, its address)."""
    tag = secrets.token_hex(3)
    ns, host_link, ns_link = f"yztv{tag}", f"yzh{tag}", f"yzv{tag}"
    net = f"10.{200 + int(tag[:2], 16) % 50}.{int(tag[2:4], 16)}"
    try:
        ip("netns", "add", ns)
    except (OSError, subprocess.CalledProcessError) as exc:
        if in_ci():
            pytest.fail(f"ip netns is required under CI: {exc}")
        pytest.skip(f"ip netns does not work here: {exc}")
    try:
        ip("link", "add", host_link, "type", "veth", "peer", "name", ns_link)
        ip("link", "set", ns_link, "netns", ns)
        ip("addr", "add", f"{net}.1/30", "dev", host_link)
        ip("link", "set", host_link, "up")
        ip("netns", "exec", ns, "ip", "addr", "add", f"{net}.2/30", "dev", ns_link)
        ip("netns", "exec", ns, "ip", "link", "set", ns_link, "up")
        ip("netns", "exec", ns, "ip", "link", "set", "lo", "up")
        yield ns, host_link, f"{net}.2"
    finally:
        subprocess.run(["ip", "link", "del", host_link], check=False, capture_output=True)
        subprocess.run(["ip", "netns", "del", ns], check=False, capture_output=True)


async def test_network_cut_between_namespaces_behaves_like_a_killed_verifier(
    tmp_path: Path,
) -> None:
    with namespace() as (ns, host_link, address):
        async with running(tmp_path, address, ["ip", "netns", "exec", ns]) as rig:
            await rig.wait_fresh()
            assert (await rig.tap("green"))["source"] == "online"

            ip("link", "set", host_link, "down")
            red = await rig.tap("red")
            green = await rig.tap("green")
            assert (red["verdict"], red["source"]) == ("DENY", "risklist")
            assert (green["verdict"], green["source"]) == ("PASS", "cache")
            assert (await rig.status())["outbox"]["pending"] >= 2

            ip("link", "set", host_link, "up")
            await rig.drained()
            rows = rig.stored_events()
            assert len({r.event_id for r in rows}) == len(rows) == 3
