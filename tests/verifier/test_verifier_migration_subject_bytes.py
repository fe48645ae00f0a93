"""Revision 0120_subject_bytes on a populated database, SQLite and PostgreSQL: a store of the
release before (subjects as 64 hex) is upgraded in place; every row is kept, the same people
are found by the same ID numbers, a feed for one of them updates their row instead of adding
one, and a downgrade gives the hex back."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import command
from sqlalchemy import Engine
from verifier_helpers import PEPPER, id_numbers

from verifier.feeds import import_feed
from verifier.risklist.build import current_flags
from verifier.store.engine import alembic_config
from verifier.store.people import facts_for
from verifier.subjects import subject_of

pytest_plugins = ("verifier_fixtures",)
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
TABLES = ("health_codes", "travel", "card_status", "events", "qr_cards")
GREEN, RED, TRAVELLER = id_numbers(3, seed=120)


def old(table: str, *columns: str) -> sa.TableClause:
    return sa.table(table, *(sa.column(c) for c in columns))


def populate_0110(engine: Engine) -> None:
    """Rows as the release before stored them: each subject as its 64 hex characters."""
    green, red, traveller = (subject_of(PEPPER, n) for n in (GREEN, RED, TRAVELLER))
    code = old("health_codes", "subject", "color", "reason", "updated_at")
    trip = old("travel", "subject", "place_code", "visited_on", "place_name", "risk", "updated_at")
    event = old("events", "event_id", "kiosk_id", "site", "at", "day", "verdict", "source")
    event_rest = ("card_type", "age_band", "subject", "received_at")
    with engine.begin() as conn:
        conn.execute(
            sa.insert(code),
            [
                {"subject": s, "color": c, "reason": "feed", "updated_at": NOW}
                for s, c in ((green, "green"), (red, "red"), (traveller, "green"))
            ],
        )
        conn.execute(
            sa.insert(trip),
            [
                {"subject": traveller, "place_code": "440106", "visited_on": date(2026, 11, d),
                 "place_name": "广州市天河区", "risk": "high", "updated_at": NOW}
                for d in (25, 28)
            ],
        )  # fmt: skip
        conn.execute(
            sa.insert(old("card_status", "subject", "status", "updated_at")),
            {"subject": red, "status": "lost", "updated_at": NOW},
        )
        for n, subject in enumerate((green, None)):
            conn.execute(
                sa.insert(old("events", *event.columns.keys(), "reasons", *event_rest)),
                {"event_id": f"ev-{n}", "kiosk_id": "lane-1", "site": "hospital-a", "at": NOW,
                 "day": "2026-12-01", "verdict": "PASS", "source": "online", "reasons": "[]",
                 "card_type": "resident", "age_band": "60+", "subject": subject,
                 "received_at": NOW},
            )  # fmt: skip
        conn.execute(
            sa.insert(old("qr_cards", "serial", "subject", "key_id", "issued_at", "expires_at")),
            {"serial": "00112233445566ff", "subject": green, "key_id": "k1",
             "issued_at": NOW, "expires_at": NOW.replace(year=2027)},
        )  # fmt: skip


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}


def stored_subjects(engine: Engine, table: str) -> list[object]:
    with engine.connect() as conn:
        return list(conn.execute(sa.text(f"SELECT subject FROM {table}")).scalars())


def test_0120_keeps_every_row_and_the_same_people_match(empty_store: Engine) -> None:
    engine = empty_store
    config = alembic_config(engine)
    command.upgrade(config, "0110_qr_cards")
    populate_0110(engine)
    before = counts(engine)

    command.upgrade(config, "heads")
    assert counts(engine) == before == {t: n for t, n in zip(TABLES, (3, 2, 1, 2, 1), strict=True)}
    assert all(
        isinstance(s, bytes | memoryview) and len(s) == 32
        for s in stored_subjects(engine, "health_codes")
    ), "stored as 32 raw bytes"
    assert sorted(map(str, stored_subjects(engine, "events")))[0] == "None", "no subject stays"

    since = date(2026, 11, 1)
    green, red, traveller = (
        facts_for(engine, subject_of(PEPPER, n), travel_since=since)
        for n in (GREEN, RED, TRAVELLER)
    )
    assert green.code is not None and green.code.color == "green" and green.card is None
    assert red.code is not None and red.code.color == "red"
    assert red.card is not None and red.card.status == "lost"
    assert [v.visited_on.day for v in traveller.visits] == [28, 25]
    with engine.connect() as conn:
        listed = current_flags(conn, today=NOW.date(), travel_window_days=14)
    assert set(listed) == {subject_of(PEPPER, n)[:32] for n in (RED, TRAVELLER)}, "risk list"

    feed = f"id_number,color,updated_at\n{GREEN},yellow,2026-12-01T09:00:00Z\n".encode()
    report = import_feed(engine, PEPPER, "codes", [feed], now=NOW.replace(hour=12))
    assert (report.accepted, report.changed) == (1, 1)
    assert counts(engine)["health_codes"] == 3, "the same person's row, not a new one"
    updated = facts_for(engine, subject_of(PEPPER, GREEN), travel_since=since)
    assert updated.code is not None and updated.code.color == "yellow"

    command.downgrade(config, "0110_qr_cards")
    assert sorted(stored_subjects(engine, "card_status")) == [subject_of(PEPPER, RED)]
    assert counts(engine) == before
    command.upgrade(config, "heads")
    assert facts_for(engine, subject_of(PEPPER, RED), travel_since=since).card is not None
