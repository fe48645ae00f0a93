"""The seed stores exactly what importing its people's feeds would, on both stores, and the
same people whether they are made here or by worker processes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, text
from verifier_helpers import PEPPER

from verifier.feeds import import_feed
from verifier.seed import people, seed_population
from verifier.store.schema import metadata

pytest_plugins = ("verifier_fixtures",)
NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
COUNT = 400
FEEDS = {
    "codes": ("health_codes", "id_number,color,reason,updated_at,nat_at,vaccine_doses"),
    "travel": ("travel", "id_number,place_code,place_name,visited_on,risk,updated_at"),
    "cards": ("card_status", "id_number,status,updated_at"),
}


def tables(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the three feed tables, in a stable order."""
    with engine.connect() as conn:
        return {
            table: sorted(tuple(r) for r in conn.execute(text(f"SELECT * FROM {table}")))
            for table, _ in FEEDS.values()
        }


def empty(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            conn.execute(table.delete())


def feed_lines(kind: str) -> list[bytes]:
    """The people's feed of ``kind`` as a provider would send it (CSV with ID numbers)."""
    stamp = NOW.isoformat()
    lines = [FEEDS[kind][1] + "\n"]
    for p in people(COUNT, 21, NOW):
        if kind == "codes" and p.color is not None:
            lines.append(f"{p.id_number},{p.color},seed,{stamp},{stamp},3\n")
        elif kind == "travel":
            lines += [f"{p.id_number},{c},{n},{d},{r},{stamp}\n" for c, n, d, r in p.visits]
        elif kind == "cards" and p.card is not None:
            lines.append(f"{p.id_number},{p.card},{stamp}\n")
    return [line.encode() for line in lines]


def test_the_seed_stores_what_importing_its_people_would(engine: Engine) -> None:
    reports = seed_population(engine, PEPPER, count=COUNT, seed=21, now=NOW, processes=0)
    seeded = tables(engine)
    assert [r.kind for r in reports] == list(FEEDS)
    assert [r.accepted for r in reports] == [len(feed_lines(k)) - 1 for k in FEEDS]
    assert all(seeded.values()), "codes, travel and cards all have rows"

    empty(engine)
    for kind in FEEDS:
        report = import_feed(engine, PEPPER, kind, feed_lines(kind), now=NOW)
        assert report.rejected == 0, report.errors
    assert tables(engine) == seeded


def test_worker_processes_make_the_same_people(engine: Engine) -> None:
    seed_population(engine, PEPPER, count=60, seed=5, now=NOW, processes=0)
    here = tables(engine)
    empty(engine)
    done: list[int] = []
    seed_population(engine, PEPPER, count=60, seed=5, now=NOW, processes=2, on_people=done.append)
    assert tables(engine) == here and done == [60]
    assert seed_population(engine, PEPPER, count=60, seed=5, now=NOW)[0].changed == 0, "again"
