"""``facts_for`` for ``/v1/verify`` on PostgreSQL, on the event loop: psycopg 3's async pool,
the one-round-trip ``FACTS_SQL`` prepared on each connection, no thread-pool hop (a hop and
SQLAlchemy's sync pool cost more than the read: docs/performance.md). The sync ``facts_for``
stays for the CLI.

A server restart leaves the pool's connections dead: a read that finds one checks the other idle
ones and tries once more, so a restart costs the kiosks no failed tap. While the server is down a
read waits at most ``timeout_s`` for a connection and raises ``StoreError`` (the route answers 503
and the kiosk decides offline) instead of holding the kiosk until its own deadline.

One ``PgFacts`` reads one server (or one libpq multi-host URL); which server a verify asks, the
primary or a streaming replica, is verifier/store/pg_reads.py's choice."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.engine import URL, make_url

from verifier.store.engine import StoreError
from verifier.store.people import FACTS_SQL, Facts, facts_from_rows

QUERY = FACTS_SQL.replace(":subject", "%(subject)s")
OPEN_TIMEOUT_S = 10.0
"""How long start-up waits for the pool to fill (the store answered the migration just before)."""
RECONNECT_TIMEOUT_S = 10.0
"""A lost connection is retried with back-off for this long, then again as soon as a read waits:
after a long outage the pool comes back within seconds, not after a back-off grown to minutes."""
CONNECT_TIMEOUT_S = 5
"""One connection attempt to an unreachable host gives up after this long (libpq, whole seconds)."""


class PgFacts:
    """The async reader of one process (one uvicorn worker): ``size`` connections to the server
    at ``url``, opened by the app's lifespan (``open``) and closed on shutdown (``close``)."""

    def __init__(self, url: URL | str, *, size: int, timeout_s: float) -> None:
        self._conninfo = conninfo(url)
        self.size = size
        self.timeout_s = timeout_s
        self._pool: AsyncConnectionPool | None = None
        self._opening = asyncio.Lock()

    async def open(self, *, timeout_s: float = OPEN_TIMEOUT_S) -> None:
        """Fill the pool; StoreError when the store gives no connections within ``timeout_s``."""
        await self._opened(timeout_s)

    async def value(self, sql: str) -> Any:
        """The first column of the first row of ``sql`` (a health or lag probe); StoreError
        when the server cannot answer."""
        pool = self._pool or await self._opened()
        try:
            async with pool.connection() as conn:
                cursor = await conn.execute(sql)
                row = await cursor.fetchone()
        except psycopg.OperationalError as exc:
            raise StoreError(f"store unreachable: {_first_line(exc)}") from None
        return None if row is None else row[0]

    async def read(self, subject: str, *, travel_since: date) -> Facts:
        """What the store knows about ``subject`` (as ``facts_for``), in one prepared round
        trip; StoreError when the store cannot answer. Opens the pool when no lifespan did
        (ASGI test transports skip it)."""
        pool = self._pool or await self._opened()
        try:
            rows = await _rows(pool, subject)
        except psycopg.OperationalError as exc:
            raise StoreError(f"store unreachable: {_first_line(exc)}") from None
        return facts_from_rows(rows, travel_since)

    async def close(self) -> None:
        """Close every connection (the lifespan's last step); a later read opens anew."""
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    async def _opened(self, timeout_s: float = OPEN_TIMEOUT_S) -> AsyncConnectionPool:
        async with self._opening:
            if self._pool is None:
                pool = AsyncConnectionPool(
                    self._conninfo,
                    min_size=self.size,
                    max_size=self.size,
                    timeout=self.timeout_s,
                    reconnect_timeout=RECONNECT_TIMEOUT_S,
                    kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT_S},
                    name="verify",
                    open=False,
                )
                try:
                    await pool.open(wait=True, timeout=timeout_s)
                except psycopg.OperationalError as exc:
                    await pool.close()
                    raise StoreError(f"store unreachable: {_first_line(exc)}") from None
                self._pool = pool
            return self._pool


async def _rows(pool: AsyncConnectionPool, subject: str) -> list[tuple[Any, ...]]:
    """Autocommit (no transaction to end: one round trip), prepared on first use. A connection
    found dead means the server restarted: the other idle ones are checked before the retry."""
    async with pool.connection() as conn:
        try:
            return await _fetch(conn, subject)
        except psycopg.OperationalError:
            if not conn.broken:
                raise
    await pool.check()
    async with pool.connection() as conn:
        return await _fetch(conn, subject)


async def _fetch(conn: psycopg.AsyncConnection[Any], subject: str) -> list[tuple[Any, ...]]:
    cursor = await conn.execute(QUERY, {"subject": bytes.fromhex(subject)}, prepare=True)
    return await cursor.fetchall()


def conninfo(url: URL | str) -> str:
    """The libpq connection string of a SQLAlchemy URL, as SQLAlchemy's psycopg dialect would
    connect: a multi-host URL (``?host=a:5432&host=b:5432&target_session_attrs=read-write``)
    becomes libpq's ``host=a,b port=5432,5432``."""
    parsed = make_url(url)
    parsed = parsed.set(drivername="postgresql+psycopg")
    _args, kwargs = parsed.get_dialect()().create_connect_args(parsed)
    kwargs.pop("context", None)
    return make_conninfo(**kwargs)


def _first_line(exc: BaseException) -> str:
    return (str(exc) or type(exc).__name__).splitlines()[0]
