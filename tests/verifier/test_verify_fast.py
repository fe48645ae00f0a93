"""The hot path of ``POST /v1/verify`` (verifier/api/verify_fast.py) answers exactly as the full
app: the same verdict document, status, problem documents and headers, counted in the same
metrics — whichever of the two answered, on both stores."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from verifier_helpers import Api

from verifier.api.verify_fast import VerifyFastPath
from verifier.config import VerifierConfig
from verifier.store.tokens import token_hash

pytest_plugins = ("verifier_fixtures",)

SUBJECT = "ab" * 32
HEADERS = ("x-frame-options", "x-content-type-options", "referrer-policy")


@pytest.fixture
def config(config: VerifierConfig) -> VerifierConfig:
    """Token checks reused, as in production (the other API tests turn that off)."""
    config.limits.token_cache_s = 60
    return config


def body(site: str = "hospital-a") -> dict[str, Any]:
    card = {"card_type": "resident", "valid_from": "2020-01-01", "valid_until": None}
    card |= {"age_band": "60+", "id_number_valid": True}
    return {"subject": SUBJECT, "site": site, "event_id": str(uuid.uuid4()), "card": card}


def comparable(response: httpx.Response) -> tuple[int, dict[str, Any], dict[str, str]]:
    """Status, JSON without the clock, and the headers that must match."""
    document = response.json()
    document.pop("server_time", None)
    document.pop("event_id", None)
    names = (*HEADERS, "content-security-policy", "content-type", "retry-after")
    return response.status_code, document, {n: response.headers.get(n, "") for n in names}


def cached(api: Api, role: str = "kiosk") -> bool:
    services = api.client._transport.app.state.services  # type: ignore[attr-defined]
    return token_hash(api.tokens[role]) in services.token_cache


async def test_the_fast_answer_is_the_full_apps_answer(api: Api) -> None:
    """The first request of a token goes through the full app (it looks the token up); the
    next ones are answered by the fast path. Both answers are the same."""
    assert not cached(api)
    full = await api.client.post("/v1/verify", json=body(), headers=api.auth("kiosk"))
    assert cached(api)
    fast = await api.client.post("/v1/verify", json=body(), headers=api.auth("kiosk"))
    assert full.status_code == 200 and full.json()["verdict"] in ("PASS", "CHECK", "DENY")
    assert comparable(fast) == comparable(full)
    assert all(fast.headers[name] for name in HEADERS)


async def test_refusals_read_the_same_on_both_paths(api: Api) -> None:
    """Another site's verify: 403 naming the site, as the full app words it."""
    first = await api.client.post("/v1/verify", json=body("metro-2"), headers=api.auth("kiosk"))
    again = await api.client.post("/v1/verify", json=body("metro-2"), headers=api.auth("kiosk"))
    assert first.status_code == again.status_code == 403
    assert comparable(first) == comparable(again)
    assert "metro-2" in again.json()["detail"]
    assert again.headers["content-type"] == "application/problem+json"


async def test_what_the_fast_path_does_not_take_still_gets_its_answer(api: Api) -> None:
    """A bad body, a chunked upload, a wrong media type, the wrong role: the full app answers
    each as it does on every endpoint."""
    await api.client.post("/v1/verify", json=body(), headers=api.auth("kiosk"))  # token cached
    bad = {**body(), "subject": "not hex"}
    answer = await api.client.post("/v1/verify", json=bad, headers=api.auth("kiosk"))
    assert answer.status_code == 422 and "body.subject" in answer.json()["detail"]

    async def chunks() -> Any:
        yield httpx.Request("POST", "/", json=body()).content

    chunked = await api.client.post(
        "/v1/verify",
        content=chunks(),
        headers={**api.auth("kiosk"), "content-type": "application/json"},
    )
    assert chunked.status_code == 200 and chunked.json()["verdict"]
    text = await api.client.post(
        "/v1/verify",
        content=httpx.Request("POST", "/", json=body()).content,
        headers={**api.auth("kiosk"), "content-type": "text/plain"},
    )
    assert text.status_code == 422 and "Content-Type" in text.json()["detail"]
    await api.client.post("/v1/verify", json=body(), headers=api.auth("staff"))
    staff = await api.client.post("/v1/verify", json=body(), headers=api.auth("staff"))
    assert staff.status_code == 403 and "kiosk" in staff.json()["detail"]


async def test_fast_answers_are_counted_like_any_request(api: Api) -> None:
    for _ in range(3):
        answer = await api.client.post("/v1/verify", json=body(), headers=api.auth("kiosk"))
        assert answer.status_code == 200
    metrics = (await api.client.get("/metrics", headers=api.auth("admin"))).text
    counted = [
        line
        for line in metrics.splitlines()
        if line.startswith("yzt_verifier_requests_total{")
        and 'route="/v1/verify"' in line
        and 'status="200"' in line
    ]
    assert counted and float(counted[0].rsplit(" ", 1)[1]) == 3.0
    verdicts = [line for line in metrics.splitlines() if line.startswith("yzt_verifier_verdicts_")]
    assert sum(float(line.rsplit(" ", 1)[1]) for line in verdicts if "_total{" in line) == 3.0


def test_the_app_answers_verify_through_the_fast_path(api: Api) -> None:
    app = api.client._transport.app  # type: ignore[attr-defined]
    assert isinstance(app.build_middleware_stack(), VerifyFastPath)
