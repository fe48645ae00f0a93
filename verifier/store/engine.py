"""Engines by URL (SQLite in WAL mode, or PostgreSQL through psycopg 3) and migrations run in code.

Nothing connects at import time; ``serve`` and every command call ``open_store`` as a start step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


class StoreError(Exception):
    """The store cannot be reached or prepared; one plain line for the operator."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL and a busy timeout so several processes share it."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"check_same_thread": False}, pool_size=8)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            url = parsed.set(drivername="postgresql+psycopg").render_as_string(False)
        # a dead host fails a request in seconds (libpq waits forever by default)
        timeout = {} if "connect_timeout" in parsed.query else {"connect_timeout": 5}
        return create_engine(
            url, pool_size=8, max_overflow=8, pool_pre_ping=True, connect_args=timeout
        )
    raise StoreError(
        f"store.url: expected sqlite:/// or postgresql+psycopg://, got {parsed.drivername}"
    )


def alembic_config(engine: Engine) -> Config:
    """An Alembic config built in code (no alembic.ini): the shipped scripts, this engine."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision; safe to run on every start."""
    try:
        command.upgrade(alembic_config(engine), "heads")
    except SQLAlchemyError as exc:
        raise StoreError(f"store: cannot migrate {engine.url!r}: {_first_line(exc)}") from None


def ping(engine: Engine) -> None:
    """Raise StoreError unless a trivial query succeeds (``/readyz``)."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        raise StoreError(f"store unreachable: {_first_line(exc)}") from None


def open_store(url: str) -> Engine:
    """Engine + migrations: the start step of every command that touches the store."""
    engine = make_engine(url)
    migrate(engine)
    return engine


def _first_line(exc: BaseException) -> str:
    return str(getattr(exc, "orig", None) or exc).splitlines()[0]
