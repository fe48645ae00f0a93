"""The typed heartbeat (verifier/fleet/heartbeat.py) as an attacker or a broken kiosk sends it, on
SQLite and PostgreSQL: deep nesting, unknown keys and unbounded values are refused with a 422
naming the field while the fleet keeps answering; ID numbers in free text never reach the
heartbeats table, ``/v1/fleet`` or ``/fleet``; rows stored before the heartbeat was typed still
render; and the reader's fault code decides the alert."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fleet_sim import reader_fault, status_doc
from sqlalchemy import insert, select
from verifier_helpers import Api

from verifier.fleet.cli import fleet_table
from verifier.fleet.heartbeat import TEXT_CHARS, Heartbeat, read_status
from verifier.idnumber import redact_id_numbers
from verifier.store.schema import heartbeats
from verifier.timeutil import utcnow

pytest_plugins = ("verifier_fixtures",)

KioskAuth = Callable[[str, str], dict[str, str]]
ID_NUMBER = "11010519491231002X"
FOREIGNER_2017 = "USA123456789012"
HK_PERMIT = "H12345678"


def nested(depth: int) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for _ in range(depth):
        doc = {"x": doc}
    return doc


async def beat(api: Api, kiosk_auth: KioskAuth, doc: dict[str, Any]) -> Any:
    headers = kiosk_auth(doc["kiosk_id"], doc["site"])
    return await api.client.post("/v1/heartbeat", json=doc, headers=headers)


async def fleet(api: Api) -> dict[str, Any]:
    answer = await api.client.get("/v1/fleet", headers=api.auth("staff"))
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def stored(body: dict[str, Any]) -> list[tuple[str, Any, str]]:
    """Each kiosk's id, document and arrival, as ``/v1/fleet`` serves them."""
    return [(k["kiosk_id"], k["doc"], k["received_at"]) for k in body["kiosks"]]


def stored_docs(api: Api) -> str:
    with api.engine.connect() as conn:
        return json.dumps([row.doc for row in conn.execute(select(heartbeats))])


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"extra": nested(253)}, "body.extra"),
        ({"reader": {"state": "ok", "detail": nested(253)}}, "body.reader.detail"),
        ({"outbox": nested(253)}, "body.outbox.x"),
        ({"counts_today": {"total": 3, "by_hour": [1] * 24}}, "body.counts_today.by_hour"),
        ({"camera": {"state": "ok", "colour": "red"}}, "body.camera.colour"),
    ],
)
async def test_nesting_and_unknown_keys_are_refused_and_the_fleet_still_answers(
    api: Api, kiosk_auth: KioskAuth, changes: dict[str, Any], field: str
) -> None:
    good = status_doc("lane-1", "hospital-a")
    assert (await beat(api, kiosk_auth, good)).status_code == 200
    before = await fleet(api)
    answer = await beat(api, kiosk_auth, status_doc("lane-1", "hospital-a", **changes))
    assert answer.status_code == 422 and answer.json()["detail"].startswith(field)
    assert answer.headers["content-type"] == "application/problem+json"
    after = await fleet(api)
    assert stored(after) == stored(before), "the refused heartbeat changed nothing"
    page = await api.client.get("/fleet", headers=api.auth("staff"))
    assert page.status_code == 200 and 'data-kiosk="lane-1"' in page.text


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"last_error": "e" * (TEXT_CHARS + 1)}, "body.last_error"),
        ({"version": "1.4.0 (patched)"}, "body.version"),
        ({"version": "v" * 65}, "body.version"),
        ({"counts_today": {"total": 10**12}}, "body.counts_today.total"),
        ({"counts_today": {"total": "212"}}, "body.counts_today.total"),
        ({"outbox": {"pending": True}}, "body.outbox.pending"),
        ({"outbox": {"pending": -1}}, "body.outbox.pending"),
        ({"uptime_s": 1e300}, "body.uptime_s"),
        ({"clock_drift_s": "fast"}, "body.clock_drift_s"),
        ({"sent_at": "2026-11-28T08:00:00"}, "body.sent_at"),
        ({"sent_at": "9999-12-31T00:00:00Z"}, "body.sent_at"),
        ({"reader": {"state": "error", "code": "READER_ON_FIRE"}}, "body.reader.code"),
        ({"reader": {"state": "jammed"}}, "body.reader.state"),
        ({"gate": {"kind": "laser"}}, "body.gate.kind"),
        ({"kiosk_id": "lane 1"}, "body.kiosk_id"),
    ],
)
async def test_every_value_is_bounded_and_typed(
    api: Api, kiosk_auth: KioskAuth, changes: dict[str, Any], field: str
) -> None:
    doc = {**status_doc("lane-1", "hospital-a"), **changes}
    answer = await api.client.post(
        "/v1/heartbeat", json=doc, headers=kiosk_auth("lane-1", "hospital-a")
    )
    assert answer.status_code == 422 and answer.json()["detail"].startswith(field), answer.text
    assert (await fleet(api))["kiosks"] == []


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
async def test_numbers_that_are_not_finite_are_refused(
    api: Api, kiosk_auth: KioskAuth, number: str
) -> None:
    body = json.dumps(status_doc("lane-1", "hospital-a", uptime_s=0.5)).replace("0.5", number)
    headers = {**kiosk_auth("lane-1", "hospital-a"), "Content-Type": "application/json"}
    answer = await api.client.post("/v1/heartbeat", content=body, headers=headers)
    assert answer.status_code == 422 and "body.uptime_s" in answer.json()["detail"]


async def test_id_numbers_in_free_text_are_never_stored_or_served(
    api: Api, kiosk_auth: KioskAuth
) -> None:
    doc = status_doc(
        "lane-1",
        "hospital-a",
        last_error=f"verify failed for {ID_NUMBER}",
        reader={"state": "error", "detail": f"card {FOREIGNER_2017} unreadable", "code": None},
        verifier={"state": "error", "url": "http://v", "last_error": f"permit {HK_PERMIT}"},
        risklist={"version": 3, "age_s": 60.0, "last_error": "1101 0519 4912 3100 2x"},
        camera={"state": "lost", "detail": "１１０１０５１９４９１２３１００２Ｘ"},
        voice={"state": "error", "detail": f"say {ID_NUMBER.lower()}"},
    )
    answer = await beat(api, kiosk_auth, doc)
    assert answer.status_code == 200, answer.text
    page = await api.client.get("/fleet", headers=api.auth("staff"))
    served = json.dumps(await fleet(api), ensure_ascii=False)
    for where in (stored_docs(api), served, page.text):
        for secret in (
            ID_NUMBER,
            ID_NUMBER.lower(),
            FOREIGNER_2017,
            HK_PERMIT,
            "4912 3100",
            "１２３",
        ):
            assert secret not in where
        assert "[redacted]" in where
    (kiosk,) = (await fleet(api))["kiosks"]
    assert kiosk["doc"]["last_error"] == "verify failed for [redacted]"
    assert "card [redacted] unreadable" in kiosk["alerts"][0]["cause"]["en"]


async def test_rows_stored_before_typing_still_render_without_their_id_numbers(
    api: Api,
) -> None:
    old = {
        "broken": {"kiosk_id": "broken", "site": "metro-2", "outbox": nested(253), "x": [1] * 9},
        "leaky": {
            "kiosk_id": "leaky",
            "site": "metro-2",
            "last_error": f"reader: {ID_NUMBER}",
            "reader": {"state": "error", "detail": f"{ID_NUMBER} gone"},
            "camera": {"camera": "lost", "camera_detail": "no new frame", "engine": "sface"},
        },
        "odd": {"kiosk_id": "odd", "site": "metro-2", "uptime_s": "long", "version": 7},
    }
    now = utcnow()
    with api.engine.begin() as conn:
        for kiosk_id, doc in old.items():
            row = {"kiosk_id": kiosk_id, "site": "metro-2", "doc": doc, "received_at": now}
            conn.execute(insert(heartbeats).values(**row))
    body = await fleet(api)
    shown = {k["kiosk_id"]: k for k in body["kiosks"]}
    assert shown["broken"]["doc"] == {"kiosk_id": "broken", "site": "metro-2"}
    assert shown["odd"]["doc"] == {"kiosk_id": "odd", "site": "metro-2"}
    leaky = shown["leaky"]
    assert leaky["doc"]["last_error"] == "reader: [redacted]"
    assert leaky["doc"]["camera"] == {"state": "lost", "detail": "no new frame", "engine": "sface"}
    assert {a["code"] for a in leaky["alerts"]} == {"READER_ERROR", "CAMERA_FAULT"}
    assert ID_NUMBER not in json.dumps(body)
    page = await api.client.get("/fleet", headers=api.auth("staff"))
    assert page.status_code == 200 and page.text.count("<tr data-kiosk=") == 3
    assert ID_NUMBER not in page.text
    assert fleet_table(body).row_count == 3, "the terminal table renders them too"


@pytest.mark.parametrize(
    ("code", "detail"),
    [
        ("READER_JAMMED", "reader gone: pcscd not found"),
        ("READER_UNPLUGGED", "the reader stopped answering"),
        ("READER_CARD_PULLED", "timeout"),
        ("READER_ERROR", "unplugged"),
    ],
)
async def test_the_kiosks_fault_code_drives_the_alert(
    api: Api, kiosk_auth: KioskAuth, code: str, detail: str
) -> None:
    doc = status_doc("lane-1", "hospital-a", **reader_fault(code, detail))
    assert (await beat(api, kiosk_auth, doc)).status_code == 200
    (kiosk,) = (await fleet(api))["kiosks"]
    assert [a["code"] for a in kiosk["alerts"]] == [code]
    assert kiosk["doc"]["reader"] == {"state": "error", "detail": detail, "code": code}


async def test_an_offline_kiosks_stored_document_is_served_as_sent(
    api: Api, kiosk_auth: KioskAuth
) -> None:
    doc = status_doc("lane-1", "hospital-a", outbox={"pending": 3, "oldest_age_s": 9})
    assert (await beat(api, kiosk_auth, doc)).status_code == 200
    with api.engine.begin() as conn:
        conn.execute(heartbeats.update().values(received_at=utcnow() - timedelta(hours=1)))
    (kiosk,) = (await fleet(api))["kiosks"]
    assert kiosk["state"] == "offline" and kiosk["doc"]["outbox"] == {
        "pending": 3,
        "oldest_age_s": 9,
    }
    assert kiosk["doc"] == Heartbeat.model_validate(doc).model_dump(mode="json", exclude_unset=True)


def test_redaction_covers_every_card_number_shape_and_spares_ordinary_numbers() -> None:
    for secret in (ID_NUMBER, ID_NUMBER.lower(), "110105194912310020", FOREIGNER_2017, HK_PERMIT):
        assert redact_id_numbers(f"a {secret} b") == "a [redacted] b"
    for ordinary in ("0x80100069", "2026-11-28T08:00:00Z", "192.168.100.200:8081", "v1.4.0"):
        assert redact_id_numbers(ordinary) == ordinary
    assert read_status({"last_error": "x" * TEXT_CHARS + "!"}).last_error is None
