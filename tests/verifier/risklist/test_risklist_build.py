"""Publishing from real tables on SQLite and PostgreSQL, and what ``since=N`` is answered with;
every payload is checked by the kiosk's own decoder and applied to a real kiosk store."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from risklist_rows import TODAY, add_trip, many_red, set_card, set_code, subject
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from kiosk.offline.risklist import RiskListStore, decode_all
from verifier.config import RisklistConfig
from verifier.risklist.build import publish
from verifier.risklist.format import (
    CARD_REPORTED,
    CODE_RED,
    CODE_YELLOW,
    TRAVEL_HIGH,
    TRAVEL_MEDIUM,
)
from verifier.risklist.model import risklist_versions
from verifier.risklist.payloads import payload_for
from verifier.risklist.publisher import Publisher
from verifier.risklist.schedule import publish_periodically

pytest_plugins = ("verifier_fixtures",)


def kiosk_flags(body: bytes, key: Ed25519PrivateKey, store: RiskListStore) -> dict[int, int]:
    store.apply(decode_all(body, key.public_key()))
    return {n: store.flags(subject(n)) for n in range(10) if store.flags(subject(n))}


def test_non_green_subjects_are_listed_with_their_flags(
    engine: Engine, signing_key: Ed25519PrivateKey, tmp_path: Path
) -> None:
    set_code(engine, 0, "green")
    set_code(engine, 1, "red")
    set_code(engine, 2, "yellow")
    add_trip(engine, 3, "medium", days_ago=3)
    add_trip(engine, 4, "high", days_ago=13)
    add_trip(engine, 5, "high", days_ago=20)  # outside the 14-day window
    add_trip(engine, 6, "low", days_ago=1)
    set_card(engine, 7, "stolen")
    set_card(engine, 8, "ok")
    set_code(engine, 9, "red")
    set_card(engine, 9, "lost")

    result = publish(engine, signing_key, today=TODAY)

    assert (result.version, result.entries, result.changes) == (1, 6, 6)
    served = payload_for(engine, 0)
    assert served is not None and served.kind == "snapshot"
    store = RiskListStore(tmp_path / "kiosk.sqlite3")
    assert kiosk_flags(served.body, signing_key, store) == {
        1: CODE_RED,
        2: CODE_YELLOW,
        3: TRAVEL_MEDIUM,
        4: TRAVEL_HIGH,
        7: CARD_REPORTED,
        9: CODE_RED | CARD_REPORTED,
    }


def test_deltas_carry_only_changes_and_chain_in_order(
    engine: Engine, signing_key: Ed25519PrivateKey, tmp_path: Path
) -> None:
    many_red(engine, 50)
    set_code(engine, 1, "red")
    set_code(engine, 2, "yellow")
    publish(engine, signing_key, today=TODAY)
    store = RiskListStore(tmp_path / "kiosk.sqlite3")
    first = payload_for(engine, 0)
    assert first is not None
    store.apply(decode_all(first.body, signing_key.public_key()))

    set_code(engine, 1, "green")  # removed
    publish(engine, signing_key, today=TODAY)
    set_code(engine, 3, "red")  # added
    set_code(engine, 2, "red")  # changed
    third = publish(engine, signing_key, today=TODAY)
    assert (third.version, third.changes, third.entries) == (3, 2, 52)

    served = payload_for(engine, 1)
    assert served is not None and served.kind == "delta" and served.etag == '"d-2-3"'
    payloads = decode_all(served.body, signing_key.public_key())
    assert [(p.base_version, p.version, p.count) for p in payloads] == [(1, 2, 1), (2, 3, 2)]
    info = store.apply(payloads)
    assert (info.version, info.entries) == (3, 52)
    assert [store.flags(subject(n)) for n in (1, 2, 3)] == [0, CODE_RED, CODE_RED]


def test_a_kiosk_that_is_current_gets_a_signed_confirmation(
    engine: Engine, signing_key: Ed25519PrivateKey, tmp_path: Path
) -> None:
    set_code(engine, 1, "red")
    publish(engine, signing_key, today=TODAY)
    publish(engine, signing_key, today=TODAY)  # nothing changed: still a new version
    served = payload_for(engine, 2)
    assert served is not None and served.kind == "delta"
    (payload,) = decode_all(served.body, signing_key.public_key())
    assert (payload.version, payload.count, payload.total) == (2, 0, 1)


def test_unknown_pruned_or_future_versions_get_the_snapshot(
    engine: Engine, signing_key: Ed25519PrivateKey
) -> None:
    many_red(engine, 50)
    for n in range(4):
        set_code(engine, n, "red")
        publish(engine, signing_key, today=TODAY, keep_versions=2)
    with engine.connect() as conn:
        kept = conn.execute(select(risklist_versions.c.version)).scalars().all()
        snapshots = (
            conn.execute(
                select(risklist_versions.c.version).where(risklist_versions.c.snapshot.is_not(None))
            )
            .scalars()
            .all()
        )
    assert sorted(kept) == [3, 4] and snapshots == [4]
    for since in (0, 1, 9):
        served = payload_for(engine, since)
        assert served is not None and served.kind == "snapshot", since
    served = payload_for(engine, 2)
    assert served is not None and served.kind == "delta"


def test_travel_ages_out_of_the_window_on_a_later_publish(
    engine: Engine, signing_key: Ed25519PrivateKey
) -> None:
    add_trip(engine, 4, "high", days_ago=10)
    assert publish(engine, signing_key, today=TODAY).entries == 1
    later = publish(engine, signing_key, today=TODAY + dt.timedelta(days=5))
    assert (later.entries, later.changes) == (0, 1)


def test_nothing_published_yet_is_none(engine: Engine) -> None:
    assert payload_for(engine, 0) is None


async def test_the_periodic_publisher_makes_versions(
    engine: Engine, signing_key: Ed25519PrivateKey
) -> None:
    set_code(engine, 1, "red")
    publisher = Publisher(engine, RisklistConfig(), signing_key)
    task = asyncio.create_task(publish_periodically(publisher, interval_s=0.05))
    for _ in range(200):
        await asyncio.sleep(0.02)
        served = payload_for(engine, 0)
        if served is not None and served.version >= 3:
            break
    task.cancel()
    assert served is not None and served.version >= 3


def test_two_publishers_at_once_never_corrupt_the_versions(
    engine: Engine, signing_key: Ed25519PrivateKey, tmp_path: Path
) -> None:
    """Replicas racing: each run commits whole or rolls back; versions stay consecutive."""
    many_red(engine, 100)
    outcomes: list[str] = []

    def run() -> None:
        try:
            publish(engine, signing_key, today=TODAY)
            outcomes.append("ok")
        except SQLAlchemyError:
            outcomes.append("lost")

    for _ in range(4):
        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    with engine.connect() as conn:
        versions = sorted(conn.execute(select(risklist_versions.c.version)).scalars())
    assert versions == list(range(1, outcomes.count("ok") + 1))
    served = payload_for(engine, 0)
    assert served is not None
    info = RiskListStore(tmp_path / "k.sqlite3").apply(
        decode_all(served.body, signing_key.public_key())
    )
    assert info.entries == 100
