"""Serving the app: uvicorn with its C parts (httptools parses HTTP, uvloop runs the event loop —
chosen by measurement, docs/performance.md), bounded for clients that are slow on purpose.

uvicorn has a keep-alive timeout and a concurrency limit but no header-read timeout and no
header-size limit, so ``BoundedHttpTools`` (its httptools protocol, four hooks added) closes a
connection whose request line and headers are not complete within ``[server]
header_timeout_s``, refuses headers over ``MAX_HEADER_BYTES``, and answers past
``max_connections`` with a problem+json 503 and ``Retry-After``. Settings come from ``[server]``
(docs/verifier.md); nginx in front adds per-address limits (docs/operations.md).

Several workers are uvicorn's own supervisor: ``app_factory`` builds the app in each worker
from the config path in ``YZT_VERIFIER_CONFIG`` (uvicorn needs an import string for workers).
"""

from __future__ import annotations

import asyncio
import errno
import functools
import logging
import os
import resource
import socket
from pathlib import Path
from typing import Any

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from verifier import logs
from verifier.api.problems import problem
from verifier.app import create_app
from verifier.config import ServerConfig, load_config

CONFIG_ENV = "YZT_VERIFIER_CONFIG"
ADDRESS_ENV = "YZT_VERIFIER_ADDRESS"
MAX_HEADER_BYTES = 65_536
SPARE_FILES = 128
"""Open files a worker needs besides its connections: the store, logs, libraries."""
MAX_OPEN_FILES = 1_048_576
WORKER_HEALTHCHECK_S = 60
"""uvicorn kills a worker that does not answer its supervisor's ping within this; its default
(5 s) killed workers that were still importing on a busy machine, over and over."""
GRACEFUL_SHUTDOWN_S = 10


class HeadersTooLarge(Exception):
    """Raised from a parser callback; httptools turns it into a parser error, which uvicorn
    answers with 400 and a close."""


async def over_capacity(scope: Scope, receive: Receive, send: Send) -> None:
    """The answer past ``max_connections``: 503, try again in a second (nginx tries the next
    replica at once)."""
    detail = "the server is at its connection limit; retry in a moment"
    answer = problem(503, detail, {"Retry-After": "1", "Connection": "close"})
    await answer(scope, receive, send)


class BoundedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol with a header-read timeout, a header-size limit and a
    problem+json 503 past the connection cap (uvicorn's own cap answers text/plain and logs a
    line per refusal)."""

    def __init__(
        self, *args: Any, header_timeout_s: float, max_connections: int, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.limit_concurrency = None  # checked below instead
        self.header_timeout_s = header_timeout_s
        self.max_connections = max_connections
        self.header_timer: asyncio.TimerHandle | None = None
        self.header_bytes = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_header_clock()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_header_clock()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self.header_timer is None:
            self._start_header_clock()

    def on_url(self, url: bytes) -> None:
        self._count_header_bytes(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count_header_bytes(len(name) + len(value))
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._stop_header_clock()
        full = len(self.connections) > self.max_connections
        if not (full or len(self.tasks) >= self.max_connections):
            super().on_headers_complete()
            return
        app, self.app = self.app, over_capacity
        try:
            super().on_headers_complete()
        finally:
            self.app = app

    def _count_header_bytes(self, size: int) -> None:
        self.header_bytes += size
        if self.header_bytes > MAX_HEADER_BYTES:
            raise HeadersTooLarge

    def _start_header_clock(self) -> None:
        self.header_bytes = 0
        self.header_timer = self.loop.call_later(self.header_timeout_s, self._header_timeout)

    def _stop_header_clock(self) -> None:
        if self.header_timer is not None:
            self.header_timer.cancel()
            self.header_timer = None

    def _header_timeout(self) -> None:
        """Too slow: close without an answer, as nginx does after ``client_header_timeout``."""
        self.header_timer = None
        if not self.transport.is_closing():
            self.transport.close()


def raise_open_file_limit(server: ServerConfig) -> int:
    """Lift this process's soft open-file limit to its hard limit (as Go programs do): the soft
    default of 1,024 ran out under 1,100 slow connections. Workers inherit it. Returns the
    limit; warns when it cannot hold ``max_connections``."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    limit = MAX_OPEN_FILES if hard == resource.RLIM_INFINITY else min(hard, MAX_OPEN_FILES)
    if soft != resource.RLIM_INFINITY and soft < limit:
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))
    else:
        limit = max(limit, MAX_OPEN_FILES if soft == resource.RLIM_INFINITY else soft)
    if limit < server.max_connections + SPARE_FILES:
        logging.getLogger("verifier.server").warning(
            "open-file limit %d is below [server] max_connections + %d; raise LimitNOFILE "
            "(deploy/systemd) or lower max_connections",
            limit,
            SPARE_FILES,
        )
    return limit


def _uvicorn_options(server: ServerConfig) -> dict[str, Any]:
    protocol = functools.partial(
        BoundedHttpTools,
        header_timeout_s=server.header_timeout_s,
        max_connections=server.max_connections,
    )
    return {
        "http": protocol,
        "loop": "uvloop",
        "timeout_keep_alive": server.keepalive_timeout_s,
        "proxy_headers": True,
        "forwarded_allow_ips": server.forwarded_allow_ips,
        "access_log": False,
        "log_config": None,
        "server_header": False,
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_S,
        "timeout_worker_healthcheck": WORKER_HEALTHCHECK_S,
    }


_held: list[socket.socket] = []


def elected_publisher(address: str) -> bool:
    """Whether this worker runs the periodic risk-list publish for the server on ``address``:
    the first to bind an abstract Unix socket named after it (Linux; no file, so it works under
    ``ProtectSystem=strict``; the kernel frees it when the process ends, so a respawned worker
    takes over). Every worker publishing on start starved its event loop for seconds."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(f"\0yzt-verifier-publisher-{address}")
    except OSError:
        sock.close()
        return False
    _held.append(sock)
    return True


def app_factory() -> ASGIApp:
    """For uvicorn's workers: each builds its own app (and logging) from the config file; one
    of them publishes the risk list on a schedule."""
    config = load_config(Path(os.environ[CONFIG_ENV]))
    logs.configure(access_log=config.server.access_log)
    publishes = elected_publisher(os.environ[ADDRESS_ENV])
    return create_app(config, publishes=publishes)


def run_app(app: ASGIApp, *, host: str, port: int, server: ServerConfig | None = None) -> None:
    """Serve ``app`` in this process until interrupted (benchmarks serve their own apps)."""
    server = server or ServerConfig()
    logs.configure(access_log=server.access_log)
    _run(app, host=host, port=port, server=server)


def _run(app: ASGIApp, *, host: str, port: int, server: ServerConfig) -> None:
    uvicorn.run(app, host=host, port=port, **_uvicorn_options(server))


def listen_problem(host: str, port: int) -> str | None:
    """Why ``serve`` could not listen on ``host:port`` (bound as uvicorn binds, then released),
    so a busy port is one plain line before anything claims to be running; None when it can."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror:
        return f"{host} is not an address of this machine (--host or [server] host)"
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            why = _BIND_PROBLEMS.get(
                exc.errno, f"cannot listen on {{host}}:{{port}}: {exc.strerror}"
            )
            return why.format(host=host, port=port)
    return None


_BIND_PROBLEMS: dict[int | None, str] = {
    errno.EADDRINUSE: "port {port} on {host} is in use (another yzt verifier serve?)",
    errno.EACCES: "port {port} needs privileges (ports below 1024 are root's)",
    errno.EADDRNOTAVAIL: "{host} is not an address of this machine (--host or [server] host)",
}


def serve(config_path: Path, *, host: str, port: int, workers: int | None = None) -> None:
    """Serve until interrupted: ``workers`` (default ``[server] workers``) processes."""
    config = load_config(config_path)
    server = config.server
    logs.configure(access_log=server.access_log)
    raise_open_file_limit(server)
    workers = workers or server.workers
    if workers == 1:
        _run(create_app(config), host=host, port=port, server=server)
        return
    os.environ[CONFIG_ENV] = str(config_path.resolve())
    os.environ[ADDRESS_ENV] = f"{host}:{port}"
    uvicorn.run(
        "verifier.server:app_factory",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        **_uvicorn_options(server),
    )
