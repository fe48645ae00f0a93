"""After feeds with plaintext ID numbers (good and malformed) go in over HTTP, no table column,
log record, metric or error answer holds any of them — on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from sqlalchemy import select
from verifier_helpers import PEPPER, Api, csv_body, id_numbers, ndjson_body

from verifier.store.schema import metadata
from verifier.subjects import subject_of

pytest_plugins = ("verifier_fixtures",)


async def test_no_id_number_anywhere(
    api: Api, kiosk_auth: Callable[[str, str], dict[str, str]], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    numbers = id_numbers(6, seed=5)
    wrong = [n[:17] + ("0" if n[17] != "0" else "1") for n in numbers[:2]]
    feeder = api.auth("feeder")
    texts: list[str] = []
    for kind, body in [
        (
            "codes",
            csv_body(
                "id_number,color,reason,updated_at",
                [f"{n},yellow,contact,2026-11-01T00:00:00Z" for n in numbers + wrong],
            ),
        ),
        (
            "travel",
            ndjson_body(
                [
                    {
                        "id_number": n,
                        "place_code": "440106",
                        "visited_on": "2026-11-20",
                        "risk": "high",
                    }
                    for n in numbers + wrong
                ]
            ),
        ),
        (
            "cards",
            csv_body(
                "id_number,status,updated_at", [f"{n},lost,2026-11-01" for n in numbers[:3] + wrong]
            ),
        ),
        ("codes", csv_body(f"{numbers[0]},green,x,2026-11-01", [])),
    ]:
        answer = await api.client.put(f"/v1/feeds/{kind}", content=body, headers=feeder)
        texts.append(answer.text)
    assert '"rejected":2' in texts[0] and '"unusable":null' in texts[0]
    kiosk = kiosk_auth("k-s", "s")
    for payload in [
        {"subject": numbers[0], "site": "s", "event_id": "e", "card": {}},
        {
            "subject": subject_of(PEPPER, numbers[0]),
            "site": "s",
            "event_id": "e",
            "card": {"card_type": "resident", "age_band": "60+"},
            "id_number": numbers[1],
        },
    ]:
        answer = await api.client.post("/v1/verify", json=payload, headers=kiosk)
        assert answer.status_code == 422
        texts.append(answer.text)
    good = await api.client.post(
        "/v1/verify",
        headers=kiosk,
        json={
            "subject": subject_of(PEPPER, numbers[2]),
            "site": "s",
            "event_id": "e",
            "card": {"card_type": "resident", "age_band": "60+"},
        },
    )
    assert good.json()["reasons"] == ["CODE_YELLOW", "CARD_REPORTED_LOST", "TRAVEL_RISK_AREA"]
    texts.append((await api.client.get("/metrics")).text)
    dump = []
    with api.engine.connect() as conn:
        for table in metadata.sorted_tables:
            dump += [repr(tuple(row)) for row in conn.execute(select(table))]
    assert len(dump) >= 6 + 6 + 3
    haystack = "\n".join([*texts, *dump, caplog.text])
    for number in numbers + wrong:
        assert number not in haystack
        assert number[:17] not in haystack
