"""``GET /v1/risklist`` on the verifier app: kiosk role only, snapshot or deltas, HTTP Range."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from risklist_rows import TODAY, many_red, set_code, write_verifier_config

from kiosk.offline.risklist import decode_all
from verifier.app import create_app
from verifier.config import VerifierConfig, load_config
from verifier.risklist.build import publish
from verifier.risklist.keys import init_keys
from verifier.risklist.routes import router
from verifier.store.tokens import add_token

pytest_plugins = ("verifier_fixtures",)


class Verifier:
    def __init__(self, client: httpx.AsyncClient, engine, kiosk: str, staff: str) -> None:
        self.client = client
        self.engine = engine
        self.kiosk = {"Authorization": f"Bearer {kiosk}"}
        self.staff = {"Authorization": f"Bearer {staff}"}


@pytest.fixture
async def verifier(tmp_path: Path) -> AsyncIterator[Verifier]:
    """The app without its lifespan (so nothing is published unless a test does) and without a
    signing key beside its config."""
    async with serving(
        load_config(write_verifier_config(tmp_path, f"sqlite:///{tmp_path / 'v.db'}"))
    ) as verifier:
        yield verifier


@asynccontextmanager
async def serving(config: VerifierConfig) -> AsyncIterator[Verifier]:
    app = create_app(config)
    app.include_router(router)
    engine = app.state.services.engine
    kiosk = add_token(engine, name="lane-1", role="kiosk", kiosk_id="lane-1", site="hospital-a")
    staff = add_token(engine, name="staff", role="staff")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://verifier") as client:
        yield Verifier(client, engine, kiosk, staff)
    engine.dispose()


async def test_kiosk_gets_a_verifiable_snapshot(
    verifier: Verifier, signing_key: Ed25519PrivateKey
) -> None:
    set_code(verifier.engine, 1, "red")
    published = dt.datetime.now(dt.UTC) - dt.timedelta(hours=30)
    publish(verifier.engine, signing_key, now=published)
    answer = await verifier.client.get("/v1/risklist", headers=verifier.kiosk)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/vnd.yzt.risklist"
    assert answer.headers["etag"] == '"s-1"' and answer.headers["x-risklist-kind"] == "snapshot"
    (payload,) = decode_all(answer.content, signing_key.public_key())
    assert (payload.version, payload.total) == (1, 1)
    # the list's age, on the verifier's clock alone: its time now minus the signed publish time
    server_now = dt.datetime.fromisoformat(answer.headers["x-server-time"])
    age = server_now.timestamp() - payload.published_at
    assert 30 * 3600 - 1 <= age < 30 * 3600 + 60


async def test_only_the_kiosk_role_may_fetch(
    verifier: Verifier, signing_key: Ed25519PrivateKey
) -> None:
    publish(verifier.engine, signing_key, today=TODAY)
    assert (await verifier.client.get("/v1/risklist")).status_code == 401
    forbidden = await verifier.client.get("/v1/risklist", headers=verifier.staff)
    assert forbidden.status_code == 403


async def test_before_the_first_publish_the_answer_says_what_to_run(tmp_path: Path) -> None:
    config = load_config(write_verifier_config(tmp_path, f"sqlite:///{tmp_path / 'v.db'}"))
    init_keys(config)
    async with serving(config) as verifier:
        answer = await verifier.client.get("/v1/risklist", headers=verifier.kiosk)
    assert answer.status_code == 404
    assert "yzt verifier risklist publish" in answer.json()["detail"]


async def test_without_a_signing_key_the_answer_says_how_to_make_one(verifier: Verifier) -> None:
    answer = await verifier.client.get("/v1/risklist", headers=verifier.kiosk)
    assert answer.status_code == 503
    detail = answer.json()["detail"]
    assert "no signing key" in detail and "yzt verifier keys init" in detail
    assert "risklist-signing" not in detail  # no server paths to kiosks


async def test_bad_since_is_a_clear_field_error(verifier: Verifier) -> None:
    answer = await verifier.client.get("/v1/risklist?since=-3", headers=verifier.kiosk)
    assert answer.status_code == 422
    assert "since" in answer.json()["detail"]


async def test_range_resumes_the_same_bytes_until_a_new_version(
    verifier: Verifier, signing_key: Ed25519PrivateKey
) -> None:
    many_red(verifier.engine, 200)
    publish(verifier.engine, signing_key, today=TODAY)
    whole = await verifier.client.get("/v1/risklist", headers=verifier.kiosk)
    etag = whole.headers["etag"]
    rest = await verifier.client.get(
        "/v1/risklist", headers={**verifier.kiosk, "Range": "bytes=1000-", "If-Range": etag}
    )
    assert rest.status_code == 206
    assert (
        rest.headers["content-range"] == f"bytes 1000-{len(whole.content) - 1}/{len(whole.content)}"
    )
    assert whole.content[:1000] + rest.content == whole.content

    set_code(verifier.engine, 1, "red")
    publish(verifier.engine, signing_key, today=TODAY)
    moved = await verifier.client.get(
        "/v1/risklist", headers={**verifier.kiosk, "Range": "bytes=1000-", "If-Range": etag}
    )
    assert moved.status_code == 200 and moved.headers["etag"] == '"s-2"'
    beyond = await verifier.client.get(
        "/v1/risklist", headers={**verifier.kiosk, "Range": "bytes=99999999-"}
    )
    assert beyond.status_code == 416
