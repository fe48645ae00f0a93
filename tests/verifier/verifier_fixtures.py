"""Verifier fixtures, used as a plugin (``pytest_plugins = ("verifier_fixtures",)``, also by the
risk-list tests): a store on SQLite and on PostgreSQL (a fresh database per session), a config
with its pepper, the app through httpx's ASGI transport, and a risk-list signing key."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from conftest import in_ci
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, text
from verifier_helpers import Api, write_config

from verifier.app import create_app
from verifier.config import VerifierConfig, load_config
from verifier.store import metadata, open_store
from verifier.store.engine import make_engine
from verifier.store.tokens import add_token

PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=3"


def new_database(prefix: str) -> str:
    """A new empty PostgreSQL database's name; skips the test without PostgreSQL, except under
    CI, where it must run."""
    name = f"{prefix}{secrets.token_hex(4)}"
    try:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        if in_ci():
            pytest.fail(f"PostgreSQL at 127.0.0.1:5432 is required under CI: {exc}")
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 unreachable: {exc}")
    return name


def drop_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A database of its own for this session, dropped at the end."""
    name = new_database("yzt_t_")
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    open_store(url).dispose()
    yield url
    drop_database(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each store test runs twice: SQLite file and PostgreSQL (emptied before the test)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'verifier.db'}"
    url: str = request.getfixturevalue("pg_url")
    engine = open_store(url)
    with engine.begin() as conn:
        names = ", ".join(t.name for t in metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {names}"))
    engine.dispose()
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database of its own, no revision applied yet: for the migration tests, which
    build a store of an earlier release and upgrade it."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        yield engine
        engine.dispose()
        return
    name = new_database("yzt_m_")
    engine = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}")
    yield engine
    engine.dispose()
    drop_database(name)


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    engine = open_store(store_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def signing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def config(tmp_path: Path, store_url: str) -> VerifierConfig:
    cfg = load_config(write_config(tmp_path / "data", store_url))
    cfg.limits.token_cache_s = 0
    cfg.policy.sites = {"hospital-a": "hospital", "metro-2": "metro"}
    return cfg


@pytest.fixture
async def api(config: VerifierConfig) -> AsyncIterator[Api]:
    """The app with a token per role; ``kiosk`` speaks for kiosk ``k1`` at ``hospital-a``,
    ``kiosk-site`` for ``lane-1`` there (``kiosk_auth`` makes more)."""
    app = create_app(config)
    engine = app.state.services.engine
    tokens = {
        role: add_token(engine, name=f"t-{role}", role=role)
        for role in ("feeder", "staff", "admin")
    }
    tokens["kiosk"] = _kiosk_token(engine, "k1", "hospital-a")
    tokens["kiosk-site"] = _kiosk_token(engine, "lane-1", "hospital-a")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://verifier") as client:
        yield Api(client, engine, tokens)
    engine.dispose()


@pytest.fixture
def kiosk_auth(api: Api) -> Callable[[str, str], dict[str, str]]:
    """``kiosk_auth(kiosk_id, site)``: the headers of that kiosk's own token (made on first
    use), which may post heartbeats and events for that kiosk and site only."""

    def auth(kiosk_id: str, site: str) -> dict[str, str]:
        key = f"kiosk:{kiosk_id}@{site}"
        if key not in api.tokens:
            api.tokens[key] = _kiosk_token(api.engine, kiosk_id, site)
        return api.auth(key)

    return auth


def _kiosk_token(engine: Engine, kiosk_id: str, site: str) -> str:
    """As ``yzt verifier token add --role kiosk --kiosk-id ID --site SITE`` makes it."""
    return add_token(engine, name=kiosk_id, role="kiosk", kiosk_id=kiosk_id, site=site)
