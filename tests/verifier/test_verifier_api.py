"""The HTTP API through the ASGI app on SQLite and PostgreSQL: roles, verify, events, stats,
feeds, limits, errors (heartbeat and fleet: tests/verifier/fleet/test_fleet_routes.py)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine
from verifier_helpers import PEPPER, Api, csv_body, id_numbers

from verifier.app import create_app
from verifier.config import VerifierConfig
from verifier.store.events import purge_events, record_events
from verifier.subjects import subject_of

pytest_plugins = ("verifier_fixtures",)
CODES = "id_number,color,reason,updated_at,nat_at"
SUBJECT = "ab" * 32


def verify_body(subject: str = SUBJECT, site: str = "hospital-a", **card: Any) -> dict[str, Any]:
    facts = {
        "card_type": "resident",
        "valid_from": "2020-01-01",
        "valid_until": None,
        "age_band": "60+",
        "id_number_valid": True,
        **card,
    }
    return {"subject": subject, "site": site, "event_id": str(uuid.uuid4()), "card": facts}


def event(
    i: int,
    *,
    verdict: str = "PASS",
    site: str = "hospital-a",
    kiosk_id: str = "k1",
    at: str | None = None,
    age_band: str = "60+",
) -> dict[str, Any]:
    return {
        "event_id": f"ev-{i}",
        "kiosk_id": kiosk_id,
        "site": site,
        "at": at or datetime.now(UTC).isoformat(),
        "verdict": verdict,
        "reasons": ["CODE_GREEN"],
        "source": "online",
        "card_type": "resident",
        "age_band": age_band,
        "subject": SUBJECT,
        "latency_ms": 80.0,
    }


ENDPOINTS: list[tuple[str, str, set[str], Any]] = [
    ("POST", "/v1/verify", {"kiosk"}, verify_body()),
    ("POST", "/v1/events", {"kiosk"}, {"events": [event(1)]}),
    ("POST", "/v1/heartbeat", {"kiosk"}, {"kiosk_id": "k1", "site": "hospital-a"}),
    ("GET", "/v1/fleet", {"staff", "admin"}, None),
    ("GET", "/v1/stats", {"staff", "admin"}, None),
    ("GET", "/v1/stats.csv", {"staff", "admin"}, None),
    ("PUT", "/v1/feeds/cards", {"feeder", "admin"}, None),
    ("PUT", "/v1/feeds/codes", {"feeder", "admin"}, None),
    ("PUT", "/v1/feeds/travel", {"feeder", "admin"}, None),
]
FEED_HEADERS = {
    "cards": b"subject,status,updated_at\n",
    "codes": b"subject,color,updated_at\n",
    "travel": b"subject,place_code,visited_on,risk\n",
}


@pytest.mark.parametrize(("method", "path", "allowed", "body"), ENDPOINTS)
async def test_role_matrix(api: Api, method: str, path: str, allowed: set[str], body: Any) -> None:
    content = FEED_HEADERS[path.rsplit("/", 1)[1]] if path.startswith("/v1/feeds") else None
    kw: dict[str, Any] = {"json": body} if body is not None else {"content": content}
    assert (await api.client.request(method, path, **kw)).status_code == 401
    bad = {"Authorization": "Bearer not-a-token"}
    assert (await api.client.request(method, path, headers=bad, **kw)).status_code == 401
    for role in ("kiosk", "feeder", "staff", "admin"):
        answer = await api.client.request(method, path, headers=api.auth(role), **kw)
        if role in allowed:
            assert answer.status_code == 200, (role, answer.text)
            continue
        assert answer.status_code == 403, (role, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["status"] == 403


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/healthz", '"status":"ok"'),
        ("/readyz", '"status":"ready"'),
        ("/metrics", "yzt_verifier_requests_total"),
        ("/openapi.json", "/v1/verify"),
    ],
)
async def test_public_endpoints(api: Api, path: str, expected: str) -> None:
    await api.client.get("/healthz")
    answer = await api.client.get(path)
    assert answer.status_code == 200
    assert expected in answer.text


async def feed(api: Api, kind: str, body: bytes) -> dict[str, Any]:
    answer = await api.client.put(f"/v1/feeds/{kind}", content=body, headers=api.auth("feeder"))
    assert answer.status_code == 200, answer.text
    return answer.json()


async def verify_as(
    api: Api, body: dict[str, Any], headers: dict[str, str] | None = None
) -> dict[str, Any]:
    answer = await api.client.post("/v1/verify", json=body, headers=headers or api.auth("kiosk"))
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_verify_verdicts_under_site_profiles(
    api: Api, kiosk_auth: Callable[[str, str], dict[str, str]]
) -> None:
    green, yellow, red, lost, traveller, nothing = id_numbers(6)
    now = datetime.now(UTC)
    fresh = (now - timedelta(hours=2)).isoformat()
    stale = (now - timedelta(days=5)).isoformat()
    await feed(
        api,
        "codes",
        csv_body(
            CODES,
            [
                f"{green},green,ok,{fresh},{fresh}",
                f"{yellow},yellow,contact,{fresh},{fresh}",
                f"{red},red,case,{fresh},{fresh}",
                f"{lost},green,ok,{fresh},{stale}",
                f"{traveller},green,ok,{fresh},{fresh}",
            ],
        ),
    )
    await feed(api, "cards", csv_body("id_number,status,updated_at", [f"{lost},stolen,{fresh}"]))
    visited = (now - timedelta(days=3)).date().isoformat()
    await feed(
        api,
        "travel",
        csv_body(
            "id_number,place_code,place_name,visited_on,risk",
            [f"{traveller},440106,广州天河,{visited},high"],
        ),
    )

    def body(number: str, site: str = "general", **card: Any) -> dict[str, Any]:
        return verify_body(subject_of(PEPPER, number), site, **card)

    async def verify(api: Api, body: dict[str, Any]) -> dict[str, Any]:
        """As the site's own kiosk: a kiosk token speaks for its site only."""
        return await verify_as(api, body, kiosk_auth(f"lane-{body['site']}", body["site"]))

    ok = await verify(api, body(green))
    assert (ok["verdict"], ok["reasons"], ok["policy"]) == (
        "PASS",
        ["CODE_GREEN", "CARD_VALID"],
        "default",
    )
    assert ok["checks"]["person"] == {"outcome": "unknown", "reasons": ["FACE_SKIPPED"]}
    assert ok["checks"]["code"] == {"outcome": "ok", "reasons": ["CODE_GREEN"]}
    assert ok["source"] == "online" and ok["server_time"].endswith("Z")
    assert 7000 < ok["data_age_s"]["code"] < 7300 and ok["data_age_s"]["cards"] is None
    assert (await verify(api, body(yellow)))["verdict"] == "CHECK"
    denied = await verify(api, body(red))
    assert (denied["verdict"], denied["reasons"]) == ("DENY", ["CODE_RED"])
    assert denied["checks"]["code"]["outcome"] == "fail"
    none = await verify(api, body(nothing))
    assert (none["verdict"], none["reasons"]) == ("CHECK", ["CODE_NO_RECORD"])
    assert none["checks"]["code"]["outcome"] == "unknown"
    stolen = await verify(api, body(lost))
    assert (stolen["verdict"], stolen["reasons"]) == ("CHECK", ["CARD_REPORTED_LOST"])
    hospital = await verify(api, body(lost, "hospital-a"))
    assert hospital["reasons"] == ["CODE_NAT_STALE", "CARD_REPORTED_LOST"]
    assert hospital["policy"] == "hospital"
    expired = await verify(api, body(green, valid_until="2021-01-01", id_number_valid=False))
    assert expired["reasons"] == ["CARD_BAD_ID_NUMBER", "CARD_EXPIRED"]
    trip = await verify(api, body(traveller))
    assert (trip["verdict"], trip["reasons"]) == ("CHECK", ["TRAVEL_RISK_AREA"])
    assert trip["checks"]["travel"]["places"] == [
        {"place_code": "440106", "place_name": "广州天河", "visited_on": visited, "risk": "high"}
    ]
    assert (await verify(api, body(traveller, "hospital-a")))["verdict"] == "DENY"
    face = verify_body(subject_of(PEPPER, green), "general")
    face["person"] = {"outcome": "fail", "reasons": ["FACE_MISMATCH"]}
    mismatch = await verify(api, face)
    assert (mismatch["verdict"], mismatch["reasons"]) == ("CHECK", ["FACE_MISMATCH"])
    assert mismatch["checks"]["person"]["outcome"] == "fail"


async def test_site_bound_token_speaks_for_its_site_only(api: Api) -> None:
    assert (await verify_as(api, verify_body(site="hospital-a"), api.auth("kiosk-site")))[
        "policy"
    ] == "hospital"
    other = await api.client.post(
        "/v1/verify", json=verify_body(site="metro-2"), headers=api.auth("kiosk-site")
    )
    assert other.status_code == 403 and "hospital-a" in other.json()["detail"]


async def test_validation_errors_name_the_field_not_the_value(api: Api) -> None:
    (number,) = id_numbers(1)
    body = verify_body()
    body["card"]["valid_until"] = "someday"
    body["id_number"] = number
    answer = await api.client.post("/v1/verify", json=body, headers=api.auth("kiosk"))
    assert answer.status_code == 422
    detail = answer.json()["detail"]
    assert "body.card.valid_until" in detail and "body.id_number" in detail
    assert number not in answer.text and "someday" not in answer.text
    broken = await api.client.post("/v1/verify", content=b"{nope", headers=api.auth("kiosk"))
    assert broken.status_code == 422 and broken.json()["title"] == "Unprocessable Entity"


async def test_verify_checks_the_token_before_the_body_and_documents_the_body(api: Api) -> None:
    broken = await api.client.post("/v1/verify", content=b"{nope")
    assert broken.status_code == 401
    as_text = await api.client.post(
        "/v1/verify",
        content=b'{"subject": "x"}',
        headers={**api.auth("kiosk"), "Content-Type": "text/plain"},
    )
    assert as_text.status_code == 422 and "application/json" in as_text.json()["detail"]
    schema = (await api.client.get("/openapi.json")).json()["paths"]["/v1/verify"]["post"]
    body = schema["requestBody"]["content"]["application/json"]["schema"]
    assert {"subject", "site", "event_id", "card", "person"} <= set(body["properties"])
    assert "card_type" in body["properties"]["card"]["properties"]


async def test_events_are_idempotent_and_counted_in_stats(
    api: Api, kiosk_auth: Callable[[str, str], dict[str, str]]
) -> None:
    today = datetime.now(UTC)
    batch = [
        event(1),
        event(2, verdict="CHECK"),
        event(3, verdict="DENY", age_band="18-59"),
        event(2, verdict="CHECK"),
    ]
    first = await api.client.post("/v1/events", json={"events": batch}, headers=api.auth("kiosk"))
    assert first.json() == {"accepted": 3, "duplicates": 1}
    again = await api.client.post("/v1/events", json={"events": batch}, headers=api.auth("kiosk"))
    assert again.json() == {"accepted": 0, "duplicates": 4}
    metro = {"events": [event(4, site="metro-2", kiosk_id="m1")]}
    other = await api.client.post("/v1/events", json=metro, headers=kiosk_auth("m1", "metro-2"))
    assert other.json() == {"accepted": 1, "duplicates": 0}
    unreadable = {**event(6), "subject": None, "card_type": None, "age_band": None}
    stored = await api.client.post(
        "/v1/events", json={"events": [unreadable]}, headers=api.auth("kiosk")
    )
    assert stored.json() == {"accepted": 1, "duplicates": 0}
    old = event(5, at=(today - timedelta(days=40)).isoformat())
    record_events(api.engine, [{**old, "at": datetime.fromisoformat(old["at"])}])
    stats = (await api.client.get("/v1/stats", headers=api.auth("staff"))).json()
    assert stats["total"] == 6
    # the 40-day-old event is in ``total`` until purged, but past retention: outside the window
    assert stats["by_verdict"] == {"PASS": 3, "CHECK": 1, "DENY": 1} and stats["elder"] == 3
    assert {
        "day": today.date().isoformat(),
        "site": "hospital-a",
        "verdict": "PASS",
        "age_band": "unknown",
        "count": 1,
    } in stats["counts"]
    day = today.date().isoformat()
    assert {
        "day": day,
        "site": "hospital-a",
        "verdict": "DENY",
        "age_band": "18-59",
        "count": 1,
    } in stats["counts"]
    assert all("subject" not in row for row in stats["counts"])
    recent = (
        await api.client.get("/v1/stats?days=7&site=hospital-a", headers=api.auth("staff"))
    ).json()
    assert (recent["total"], recent["counted"]) == (6, 4)
    assert purge_events(api.engine, days=30) == 1
    assert (await api.client.get("/v1/stats", headers=api.auth("staff"))).json()["total"] == 5


async def test_feed_over_http_reports_rejected_rows(api: Api) -> None:
    a, b = id_numbers(2)
    report = await feed(
        api,
        "codes",
        csv_body(
            CODES, [f"{a},green,ok,2026-11-01T00:00:00Z,", f"{b},blue,ok,2026-11-01T00:00:00Z,"]
        ),
    )
    assert (report["accepted"], report["rejected"]) == (1, 1)
    assert report["errors"] == [
        {"row": 3, "field": "color", "reason": "expected one of green, red, yellow"}
    ]
    unusable = await api.client.put(
        "/v1/feeds/codes", content=b"name,age\n", headers=api.auth("feeder")
    )
    assert unusable.status_code == 422 and "unknown column 'name'" in unusable.json()["detail"]
    assert (await api.client.get("/readyz")).status_code == 200


async def test_rate_limit_429(api: Api) -> None:
    limiter = api.client._transport.app.state.services.limiter  # type: ignore[attr-defined]
    limiter.rate, limiter.burst = 0.01, 3
    codes = [
        (await api.client.get("/v1/fleet", headers=api.auth("staff"))).status_code for _ in range(5)
    ]
    assert codes == [200, 200, 200, 429, 429]
    answer = await api.client.get("/v1/fleet", headers=api.auth("staff"))
    assert int(answer.headers["retry-after"]) >= 1
    assert (await api.client.get("/v1/fleet", headers=api.auth("admin"))).status_code == 200


async def test_body_limit_413_while_reading(api: Api) -> None:
    big = b'{"events": [' + b" " * 2_000_000 + b"]}"
    declared = await api.client.post("/v1/events", content=big, headers=api.auth("kiosk"))
    assert declared.status_code == 413

    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(40):
            yield b" " * 65536

    streamed = await api.client.post("/v1/events", content=chunks(), headers=api.auth("kiosk"))
    assert streamed.status_code == 413
    assert streamed.json()["detail"].startswith("request body over the limit")


async def test_a_store_that_stops_answering_is_a_503_not_a_500(config: VerifierConfig) -> None:
    """The database gone (restart, fail-over): every route that needs it answers 503 with
    ``Retry-After``, so a kiosk decides offline at once instead of reading a server bug."""
    config.limits.token_cache_s = 0
    app = create_app(config)
    app.state.services.engine.dispose()
    app.state.services.engine = create_engine(
        "postgresql+psycopg://postgres@127.0.0.1:1/gone", connect_args={"connect_timeout": 1}
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://verifier") as client:
        answer = await client.get("/v1/fleet", headers={"Authorization": "Bearer " + "x" * 43})
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["retry-after"] == "1"
