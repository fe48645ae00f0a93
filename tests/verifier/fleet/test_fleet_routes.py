"""``POST /v1/heartbeat`` and ``GET /v1/fleet`` (verifier/fleet/routes.py) through the ASGI app
on SQLite and PostgreSQL: a heartbeat is stored as the kiosk's latest and answered with the
verifier's clock; the fleet is filtered by site and state while its summary counts the site."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fleet_sim import reader_fault, status_doc
from sqlalchemy import select
from verifier_helpers import Api

from verifier.store.schema import heartbeats
from verifier.timeutil import utcnow

pytest_plugins = ("verifier_fixtures",)
KioskAuth = Callable[[str, str], dict[str, str]]
JAMMED = reader_fault("READER_JAMMED", "the reader stopped answering")


async def beat(api: Api, kiosk_auth: KioskAuth, doc: dict[str, Any]) -> Any:
    return await api.client.post(
        "/v1/heartbeat", json=doc, headers=kiosk_auth(doc["kiosk_id"], doc["site"])
    )


async def fleet(api: Api, **params: str) -> dict[str, Any]:
    answer = await api.client.get("/v1/fleet", params=params, headers=api.auth("staff"))
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def test_heartbeat_and_fleet(api: Api, kiosk_auth: KioskAuth) -> None:
    doc = {
        "kiosk_id": "k7",
        "site": "hospital-a",
        "version": "0.1.0",
        "uptime_s": 12,
        "reader": {"state": "ok", "detail": ""},
        "outbox": {"pending": 3, "oldest_age_s": 9},
    }
    answer = await beat(api, kiosk_auth, doc)
    server_time = datetime.fromisoformat(answer.json()["server_time"])
    assert abs((server_time - datetime.now(UTC)).total_seconds()) < 60
    (kiosk,) = (await fleet(api))["kiosks"]
    assert kiosk["online"] is True and kiosk["doc"]["outbox"] == {"pending": 3, "oldest_age_s": 9}
    assert kiosk["kiosk_id"] == "k7" and kiosk["site"] == "hospital-a"


async def test_the_latest_heartbeat_replaces_the_last(api: Api, kiosk_auth: KioskAuth) -> None:
    await beat(api, kiosk_auth, status_doc("lane-1", "hospital-a"))
    await beat(api, kiosk_auth, status_doc("lane-1", "hospital-a", **JAMMED))
    with api.engine.connect() as conn:
        assert len(conn.execute(select(heartbeats)).all()) == 1
    (kiosk,) = (await fleet(api))["kiosks"]
    assert kiosk["state"] == "degraded" and kiosk["alerts"][0]["code"] == "READER_JAMMED"


async def test_a_heartbeat_for_another_kiosk_is_refused_and_not_stored(
    api: Api, kiosk_auth: KioskAuth
) -> None:
    doc = status_doc("lane-2", "hospital-a")
    answer = await api.client.post(
        "/v1/heartbeat", json=doc, headers=kiosk_auth("lane-1", "hospital-a")
    )
    assert answer.status_code == 403 and answer.json()["detail"].startswith("kiosk_id: ")
    assert (await fleet(api))["kiosks"] == []


async def test_filters_pick_kiosks_and_the_summary_counts_the_whole_site(
    api: Api, kiosk_auth: KioskAuth
) -> None:
    await beat(api, kiosk_auth, status_doc("lane-1", "hospital-a"))
    await beat(api, kiosk_auth, status_doc("lane-2", "hospital-a", **JAMMED))
    await beat(api, kiosk_auth, status_doc("lane-3", "hospital-a"))
    await beat(api, kiosk_auth, status_doc("gate-1", "metro-2"))
    with api.engine.begin() as conn:
        conn.execute(
            heartbeats.update()
            .where(heartbeats.c.kiosk_id == "lane-3")
            .values(received_at=utcnow() - timedelta(hours=1))
        )
    everyone = await fleet(api)
    assert [k["kiosk_id"] for k in everyone["kiosks"]] == ["lane-3", "lane-2", "lane-1", "gate-1"]
    degraded = await fleet(api, site="hospital-a", state="degraded")
    assert [k["kiosk_id"] for k in degraded["kiosks"]] == ["lane-2"]
    assert degraded["summary"] == {
        "total": 3,
        "offline": 1,
        "degraded": 1,
        "online": 1,
        "with_alerts": 2,
    }
