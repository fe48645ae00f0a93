"""Helpers for the offline tests: the live verifier's handle and a TCP proxy that can cut or
corrupt an answer after N bytes (the fixtures that start them are in offline_fixtures.py)."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from verifier.api.deps import Services
from verifier.qrcards.trustlist import TrustListServer
from verifier.risklist.build import Published, publish
from verifier.store.schema import health_codes

NOW = dt.datetime(2026, 11, 28, 8, 0, tzinfo=dt.UTC)


def subject(n: int) -> str:
    return hashlib.sha256(f"person-{n}".encode()).hexdigest()


@dataclass
class LiveVerifier:
    url: str
    engine: Engine
    token: str
    key: Ed25519PrivateKey
    public_key_file: Path
    services: Services

    def serve_trust_list(self, document: bytes, *, issued_at: float | None = None) -> Path:
        """Serve ``document`` at /v1/trustlist as ``[qr] trust_list`` would, signed with the
        risk-list key; ``issued_at`` sets the file's modification time (ops replacing it)."""
        path = self.public_key_file.with_name("dcc-trust.json")
        path.write_bytes(document)
        if issued_at is not None:
            os.utime(path, (issued_at, issued_at))
        self.services.trust_list = TrustListServer(path, self.key)
        return path

    def set_codes(self, colors: dict[int, str]) -> None:
        with self.engine.begin() as conn:
            for n, color in colors.items():
                conn.execute(health_codes.delete().where(health_codes.c.subject == subject(n)))
                conn.execute(
                    health_codes.insert().values(
                        subject=subject(n), color=color, reason="feed", updated_at=NOW
                    )
                )

    def red_range(self, start: int, count: int) -> None:
        rows = [
            {"subject": subject(n), "color": "red", "reason": "feed", "updated_at": NOW}
            for n in range(start, start + count)
        ]
        with self.engine.begin() as conn:
            conn.execute(health_codes.insert(), rows)

    def publish(self) -> Published:
        return publish(self.engine, self.key, today=NOW.date())


def free_socket() -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


class FaultyProxy:
    """Forwards TCP to ``target``; after ``cut_after`` answer bytes it closes the connection,
    or flips the byte at ``flip_at`` — once each, then forwards faithfully."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.cut_after: int | None = None
        self.flip_at: int | None = None
        self.port = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        # per request on a kept-alive connection: the fault armed when the request went up
        fault: dict[str, int | None] = {"cut": None, "flip": None, "seen": 0}

        async def upstream() -> None:
            while data := await reader.read(65536):
                fault.update(cut=self.cut_after, flip=self.flip_at, seen=0)
                self.cut_after = self.flip_at = None
                up_writer.write(data)
                await up_writer.drain()

        async def downstream() -> None:
            while data := await up_reader.read(65536):
                seen, cut, flip = fault["seen"] or 0, fault["cut"], fault["flip"]
                if flip is not None and seen <= flip < seen + len(data):
                    at = flip - seen
                    data = data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]
                if cut is not None and seen + len(data) >= cut:
                    writer.write(data[: cut - seen])
                    await writer.drain()
                    break
                writer.write(data)
                await writer.drain()
                fault["seen"] = seen + len(data)

        task = asyncio.create_task(upstream())
        try:
            await downstream()
        finally:
            task.cancel()
            writer.close()
            up_writer.close()

    async def aclose(self) -> None:
        if self._server is not None:
            self._server.close()


def kiosk_config(live: LiveVerifier, folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "pepper").write_bytes(b"k" * 40)
    (folder / "pepper").chmod(0o600)
    path = folder / "kiosk.toml"
    path.write_text(
        f"""
[kiosk]
id = "lane-1"
site = "hospital-a"
[reader]
uri = "sim://{folder}"
[verifier]
url = "{live.url}"
token = "{live.token}"
public_key_file = "{live.public_key_file}"
[privacy]
pepper_file = "pepper"
[data]
dir = "data"
""",
        encoding="utf-8",
    )
    return path
