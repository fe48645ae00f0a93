"""Batch writes on SQLite and PostgreSQL when the store itself fails: one StoreError line that
says what is stored, the batches before it kept, nothing of the file repeated."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import Engine, select
from store_faults import REFUSED, refusing
from verifier_helpers import PEPPER, csv_body, id_numbers

from verifier.feeds import import_feed
from verifier.store import StoreError
from verifier.store.schema import health_codes
from verifier.subjects import subject_of

pytest_plugins = ("verifier_fixtures",)


def test_a_store_that_fails_mid_import_is_one_store_error_and_earlier_batches_stay(
    engine: Engine,
) -> None:
    numbers = id_numbers(4, seed=45)
    reasons = ["ok", "ok", "refuse", "ok"]
    rows = [f"{n},red,{r},2026-11-01T00:00:00Z" for n, r in zip(numbers, reasons, strict=True)]
    body = csv_body("id_number,color,reason,updated_at", rows)
    with refusing(engine), pytest.raises(StoreError) as caught:
        import_feed(engine, PEPPER, "codes", io.BytesIO(body), batch_size=2)
    message = str(caught.value)
    assert REFUSED in message and "the 2 rows before it are stored" in message
    assert "\n" not in message and all(n not in message for n in numbers)
    with engine.connect() as conn:
        stored = set(conn.execute(select(health_codes.c.subject)).scalars())
    assert stored == {subject_of(PEPPER, n) for n in numbers[:2]}
