"""Helpers for the kiosk tests: config files, a tiny real HTTP verifier for faults, Chromium."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

PEPPER = b"kiosk-tests-pepper-0123456789abcdef-0123456789"
NO_DEVICE = ["env", "AUDIODRIVER=alsa", "AUDIODEV=hw:99,0", "play", "-q"]
"""A voice player: sox's ``play`` sent to an ALSA card that does not exist fails on any box."""


def write_config(
    directory: Path, verifier_url: str, reader_uri: str, extra: str = "", public_key: str = ""
) -> Path:
    """A complete kiosk TOML in ``directory`` (pepper and token beside it)."""
    key = f'public_key_file = "{public_key}"' if public_key else ""
    (directory / "pepper").write_bytes(PEPPER)
    (directory / "pepper").chmod(0o600)
    (directory / "token").write_text("kiosk-token\n")
    (directory / "token").chmod(0o600)
    path = directory / "kiosk.toml"
    path.write_text(
        f"""
[kiosk]
id = "lane-1"
site = "hospital-a"

[reader]
uri = "{reader_uri}"

[verifier]
url = "{verifier_url}"
token_file = "token"
{key}
deadline_s = 0.6

[privacy]
pepper_file = "pepper"

[ui]
port = 0
result_hold_s = 30

[voice]
enabled = false

[data]
dir = "data"
{extra}
""",
        encoding="utf-8",
    )
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class StubVerifier:
    """A real HTTP server speaking the verifier contract, told how to misbehave.

    ``mode``: ``ok`` (answers ``verdict``), ``500``, ``slow`` (answers after ``delay_s``),
    ``refuse`` (422 to everything). It keeps every request body it got.
    """

    def __init__(self) -> None:
        self.mode = "ok"
        self.verdict = ("PASS", ["CODE_GREEN"])
        self.delay_s = 5.0
        self.requests: dict[str, list[Any]] = {"verify": [], "events": [], "heartbeat": []}
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> StubVerifier:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        self.port = sock.getsockname()[1]
        self._server = uvicorn.Server(
            uvicorn.Config(self._app(), log_level="warning", lifespan="off")
        )
        self._server.capture_signals = _no_signals  # type: ignore[method-assign]
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            await asyncio.sleep(0.01)
        return self

    async def stop(self) -> None:
        assert self._server is not None and self._task is not None
        self._server.should_exit = True
        await self._task

    def _app(self) -> FastAPI:
        app = FastAPI()

        async def misbehave() -> JSONResponse | None:
            if self.mode == "500":
                return JSONResponse({"title": "boom"}, status_code=500)
            if self.mode == "refuse":
                return JSONResponse({"title": "Unprocessable"}, status_code=422)
            if self.mode == "slow":
                await asyncio.sleep(self.delay_s)
            return None

        @app.post("/v1/verify")
        async def verify(request: Request) -> Any:
            body = await request.json()
            self.requests["verify"].append(body)
            if (bad := await misbehave()) is not None:
                return bad
            verdict, reasons = self.verdict
            return {
                "event_id": body["event_id"],
                "verdict": verdict,
                "reasons": reasons,
                "checks": {},
                "source": "online",
                "server_time": now_iso(),
            }

        @app.post("/v1/events")
        async def events(request: Request) -> Any:
            body = await request.json()
            if (bad := await misbehave()) is not None:
                return bad
            self.requests["events"].extend(body["events"])
            return {"accepted": len(body["events"]), "duplicates": 0}

        @app.post("/v1/heartbeat")
        async def heartbeat(request: Request) -> Any:
            self.requests["heartbeat"].append(await request.json())
            if (bad := await misbehave()) is not None:
                return bad
            return {"server_time": now_iso()}

        return app


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class _NoSignals:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _no_signals() -> _NoSignals:
    return _NoSignals()
