"""Stores for the risk-list tests (a plugin: ``pytest_plugins = ("risklist_fixtures",)``):
a SQLite file and a fresh PostgreSQL database per session (skipped without PostgreSQL, except
under CI), and a signing key."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from conftest import in_ci
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, text

from verifier.risklist.model import risklist_entries, risklist_versions
from verifier.store import metadata, open_store

PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=3"


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    name = f"yzt_rl_{secrets.token_hex(4)}"
    try:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        if in_ci():
            pytest.fail(f"PostgreSQL at 127.0.0.1:5432 is required under CI: {exc}")
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 unreachable: {exc}")
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    open_store(url).dispose()
    yield url
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """The migrated store, empty: SQLite file, then PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'verifier.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    engine = open_store(url)
    if request.param == "postgresql":
        tables = [*metadata.sorted_tables, risklist_entries, risklist_versions]
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {', '.join(dict.fromkeys(t.name for t in tables))}"))
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def signing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()
