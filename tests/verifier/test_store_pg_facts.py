"""The async PostgreSQL read of ``/v1/verify`` (verifier/store/pg_facts.py) on a real server: the
same ``Facts`` as the sync ``facts_for`` for a seeded population, the hot query prepared on the
server, and a ``StoreError`` (the route's 503) rather than a wait when no connection is free."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, text
from verifier_helpers import PEPPER

from verifier.seed import seed_population
from verifier.store import StoreError, metadata, open_store
from verifier.store.people import Facts, facts_for
from verifier.store.pg_facts import PgFacts
from verifier.timeutil import utcnow

pytest_plugins = ("verifier_fixtures",)
UNKNOWN = ["0" * 64, "f" * 64]


@pytest.fixture
def seeded(pg_url: str) -> Iterator[Engine]:
    """The session's PostgreSQL database emptied, then 400 people through the import path."""
    engine = open_store(pg_url)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(t.name for t in metadata.sorted_tables)}"))
    seed_population(engine, PEPPER, count=400, seed=13)
    yield engine
    engine.dispose()


def subjects(engine: Engine) -> list[str]:
    """Everyone with a record in any feed."""
    query = "SELECT subject FROM health_codes UNION SELECT subject FROM travel"
    with engine.connect() as conn:
        rows = conn.execute(text(f"{query} UNION SELECT subject FROM card_status")).scalars()
        return sorted(bytes(row).hex() for row in rows)


async def test_the_same_facts_as_facts_for(seeded: Engine) -> None:
    today = utcnow().date()
    facts = PgFacts(seeded.url, size=2, timeout_s=5)
    seen: list[Facts] = []
    try:
        for since in (today - timedelta(days=31), today - timedelta(days=7)):
            for subject in [*subjects(seeded), *UNKNOWN]:
                read = await facts.read(subject, travel_since=since)
                assert read == facts_for(seeded, subject, travel_since=since), subject
                seen.append(read)
    finally:
        await facts.close()
    assert Facts(code=None, card=None) in seen
    assert any(f.code is not None and f.code.nat_at is not None for f in seen)
    assert any(f.card is not None and f.card.status == "lost" for f in seen)
    assert any(len(f.visits) > 1 for f in seen)
    assert any(f.has_travel and not f.visits for f in seen), "no visit fell out of the window"


async def test_the_hot_query_is_prepared_on_the_server(seeded: Engine) -> None:
    facts = PgFacts(seeded.url, size=1, timeout_s=5)
    try:
        await facts.open()
        for subject in subjects(seeded)[:3]:
            await facts.read(subject, travel_since=utcnow().date())
        assert facts._pool is not None
        async with facts._pool.connection() as conn:
            cursor = await conn.execute("SELECT statement, from_sql FROM pg_prepared_statements")
            prepared = await cursor.fetchall()
    finally:
        await facts.close()
    assert [from_sql for statement, from_sql in prepared if "FROM health_codes" in statement] == [
        False
    ], prepared


async def test_no_free_connection_within_the_timeout_is_a_store_error(seeded: Engine) -> None:
    facts = PgFacts(seeded.url, size=1, timeout_s=0.2)
    try:
        await facts.open()
        assert facts._pool is not None
        async with facts._pool.connection():
            with pytest.raises(StoreError, match=r"couldn't get a connection after 0\.20 sec"):
                await facts.read(UNKNOWN[0], travel_since=utcnow().date())
        assert await facts.read(UNKNOWN[0], travel_since=utcnow().date()) == Facts(None, None)
    finally:
        await facts.close()


async def test_a_closed_reader_opens_again_on_the_next_read(seeded: Engine) -> None:
    facts = PgFacts(seeded.url, size=1, timeout_s=5)
    subject = subjects(seeded)[0]
    since = utcnow().date()
    await facts.open()
    await facts.close()
    try:
        assert await facts.read(subject, travel_since=since) == facts_for(
            seeded, subject, travel_since=since
        )
    finally:
        await facts.close()
