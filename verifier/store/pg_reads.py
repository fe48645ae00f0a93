"""Which PostgreSQL server answers a ``/v1/verify`` read: a streaming replica of ``[store]
read_urls`` that answers and is current, else the primary (``[store] url``).

- A replica whose read fails is skipped for ``replica_retry_s`` (a circuit), so a dead replica
  costs one verify one ``pool_timeout_s`` wait, not every verify.
- A replica more than ``replica_lag_max_s`` behind is skipped too: its health codes may be
  stale, and a stale green gives a wrong PASS. Past the threshold the primary answers.
- Every ``CHECK_S`` each worker measures each replica's lag and re-admits a replica that
  answers again (the probe, not a kiosk, pays for asking a dead server).

Lag is measured by LSN, not by ``now() - pg_last_xact_replay_timestamp()``: that grows without
bound on an idle primary (no transaction to replay is not being behind). Each check reads the
primary's ``pg_current_wal_lsn()`` and keeps the instant each new position was first seen; a
replica whose ``pg_last_wal_replay_lsn()`` has reached the newest position is 0 s behind, else it
lacks WAL that the primary had when the oldest unreplayed position was seen: its lag is the time
since then (to within ``CHECK_S``). It is right on an idle system, needs no privilege (unlike
``pg_stat_replication``'s ``replay_lag``), and names the replica the verifier reads, whatever
address the primary sees it by. With the primary down the last seen position stands.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from sqlalchemy.engine import make_url

from verifier.periodic import every
from verifier.store.engine import StoreError
from verifier.store.people import Facts
from verifier.store.pg_facts import PgFacts

log = logging.getLogger("verifier.store")

CHECK_S = 2.0
"""How often lag is measured and a skipped replica is asked again."""
REPLICA_OPEN_TIMEOUT_S = 2.0
"""Start-up waits this long for a replica (a dead one then starts skipped, not fatal)."""
PRIMARY_LSN = "SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint"
REPLAY_LSN = "SELECT (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint"
"""NULL on a server that is not in recovery (a promoted replica): nothing to be behind."""
POSITIONS_KEPT = 10_000
"""Primary positions remembered (one per check at most: ~5.5 h at CHECK_S)."""


class Circuit:
    """A server that failed, skipped for ``retry_s`` (monotonic clock)."""

    def __init__(self, retry_s: float) -> None:
        self.retry_s = retry_s
        self._until = 0.0

    @property
    def is_open(self) -> bool:
        return time.monotonic() < self._until

    def trip(self) -> None:
        self._until = time.monotonic() + self.retry_s

    def reset(self) -> None:
        self._until = 0.0


def replica_name(url: str) -> str:
    """A replica's label on metrics and the console: its host(s) and port, never a password."""
    parsed = make_url(url)
    hosts = parsed.query.get("host")
    if hosts:
        return ",".join((hosts,) if isinstance(hosts, str) else hosts)
    return f"{parsed.host or 'localhost'}:{parsed.port or 5432}"


@dataclass
class Replica:
    """One read URL, its pool, its circuit and what the last check found."""

    name: str
    facts: PgFacts
    circuit: Circuit
    up: bool = False
    lag_s: float | None = None

    def state(self, lag_max_s: float) -> Literal["current", "behind", "down"]:
        """What the console says: serving verifies, skipped as stale, or skipped as dead."""
        if not self.up:
            return "down"
        return "behind" if self.lag_s is not None and self.lag_s > lag_max_s else "current"


@dataclass
class PgReads:
    """The verify reads of one worker: ``read`` as ``PgFacts.read``, served by ``replicas``
    first (in turn, spreading the load), the ``primary`` when none can."""

    primary: PgFacts
    replicas: list[Replica]
    lag_max_s: float
    _positions: deque[tuple[float, int]] = field(
        default_factory=lambda: deque(maxlen=POSITIONS_KEPT)
    )
    _turn: int = 0

    @classmethod
    def build(
        cls,
        primary_url: str,
        read_urls: list[str],
        *,
        size: int,
        timeout_s: float,
        lag_max_s: float,
        retry_s: float,
    ) -> PgReads:
        def pool(url: str) -> PgFacts:
            return PgFacts(url, size=size, timeout_s=timeout_s)

        replicas = [Replica(replica_name(url), pool(url), Circuit(retry_s)) for url in read_urls]
        return cls(pool(primary_url), replicas, lag_max_s)

    async def open(self) -> None:
        """The primary's pool filled (StoreError otherwise: no start), each replica's tried."""
        await asyncio.gather(self.primary.open(), *(self._open(r) for r in self.replicas))

    async def read(self, subject: str, *, travel_since: date) -> Facts:
        """What the store knows about ``subject``; StoreError when no server can answer."""
        for replica in self._usable():
            try:
                facts = await replica.facts.read(subject, travel_since=travel_since)
            except StoreError as exc:
                self._failed(replica, exc)
                continue
            return facts
        return await self.primary.read(subject, travel_since=travel_since)

    async def check(self) -> None:
        """Measure every replica's lag against the primary's newest WAL position."""
        try:
            position = await self.primary.value(PRIMARY_LSN)
        except StoreError:
            position = None  # the primary is down: the last seen position stands
        if position is not None and (not self._positions or position > self._positions[-1][1]):
            self._positions.append((time.monotonic(), position))
        for replica in self.replicas:
            try:
                replayed = await replica.facts.value(REPLAY_LSN)
            except StoreError as exc:
                self._failed(replica, exc)
                continue
            replica.up, replica.lag_s = True, self._lag(replayed)
            replica.circuit.reset()

    async def watch(self) -> None:
        """``check`` every CHECK_S for the app's lifetime (a lifespan task)."""
        await every(CHECK_S, self.check)

    async def close(self) -> None:
        await asyncio.gather(self.primary.close(), *(r.facts.close() for r in self.replicas))

    def _usable(self) -> list[Replica]:
        ready = [
            r
            for r in self.replicas
            if not r.circuit.is_open and (r.lag_s is None or r.lag_s <= self.lag_max_s)
        ]
        self._turn += 1
        start = self._turn % len(ready) if ready else 0
        return ready[start:] + ready[:start]

    def _lag(self, replayed: int | None) -> float:
        if replayed is None:
            return 0.0
        behind = next((seen for seen, lsn in self._positions if lsn > replayed), None)
        return 0.0 if behind is None else time.monotonic() - behind

    def _failed(self, replica: Replica, exc: StoreError) -> None:
        if replica.up or not replica.circuit.is_open:
            retry_s = replica.circuit.retry_s
            log.warning("replica %s skipped for %.0f s: %s", replica.name, retry_s, exc)
        replica.up, replica.lag_s = False, None
        replica.circuit.trip()

    async def _open(self, replica: Replica) -> None:
        try:
            await replica.facts.open(timeout_s=REPLICA_OPEN_TIMEOUT_S)
        except StoreError as exc:
            self._failed(replica, exc)
        else:
            replica.up = True
