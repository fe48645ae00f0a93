"""Reads a kiosk's request needs besides the verify query (its token), kept answering while the
primary is down: the primary first, then each streaming replica of ``[store] read_urls``.

Only reads go here: whatever writes (a token's first-use kiosk binding, events, heartbeats,
imports) uses the primary's engine and fails with it. A primary that failed is skipped for
``replica_retry_s`` (verifier/store/pg_reads.py ``Circuit``), so a dead host costs one lookup its
connect timeout, not every lookup; it is still asked last when no replica answers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from verifier.store.pg_reads import Circuit

P = ParamSpec("P")
T = TypeVar("T")
CONNECT_TIMEOUT_S = 5


def replica_engine(url: str) -> Engine:
    """A small engine for one replica (token lookups are cached: a few connections do)."""
    return create_engine(
        make_url(url).set(drivername="postgresql+psycopg"),
        pool_size=2,
        max_overflow=2,
        pool_pre_ping=True,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_S},
    )


class ReadEngines:
    """``read(primary, fn, …)`` runs ``fn(engine, …)`` on the first server that answers: the
    ``primary`` engine (the app's, whichever it is now), then each replica's."""

    def __init__(self, replicas: list[Engine], *, retry_s: float) -> None:
        self.replicas = replicas
        self.primary_circuit = Circuit(retry_s)

    def read(
        self,
        primary: Engine,
        fn: Callable[Concatenate[Engine, P], T],
        *args: P.args,
        **kw: P.kwargs,
    ) -> T:
        if self.primary_circuit.is_open:
            order = [*self.replicas, primary]
        else:
            order = [primary, *self.replicas]
        for engine in order[:-1]:
            try:
                return fn(engine, *args, **kw)
            except OperationalError:
                if engine is primary:
                    self.primary_circuit.trip()
        return fn(order[-1], *args, **kw)

    def dispose(self) -> None:
        for engine in self.replicas:
            engine.dispose()
