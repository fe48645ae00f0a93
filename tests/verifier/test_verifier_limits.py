"""Failed authentication costs the guesser, not the store: thousands of wrong bearer tokens or
sign-ins from one address, as an attacker sends them, against the app on SQLite and PostgreSQL.
Time is the limiter's injected clock, never a sleep."""

from __future__ import annotations

import math
import re
import secrets
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from verifier_helpers import counted_queries

from verifier.api.deps import Services
from verifier.api.limits import FailedAuth, RateLimiter, address_key
from verifier.app import create_app
from verifier.config import VerifierConfig
from verifier.store.tokens import add_token

pytest_plugins = ("verifier_fixtures",)
ATTACKER = "203.0.113.66"
NEIGHBOUR = "198.51.100.7"
GUESSES = 3000
CSRF_FIELD = re.compile(r'name="csrf" value="([^"]*)"')


class Clock:
    """The limiter's time: moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Target:
    app: FastAPI
    services: Services
    tokens: dict[str, str]
    clock: Clock

    def client(self, address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app, client=(address, 51000))
        return httpx.AsyncClient(transport=transport, base_url="http://verifier.test")

    def bearer(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def target(config: VerifierConfig) -> AsyncIterator[Target]:
    app = create_app(config)
    services: Services = app.state.services
    clock = Clock()
    limits = config.limits
    services.auth_failures = FailedAuth(
        limits.auth_failures_per_min,
        limits.auth_failure_burst,
        max_addresses=limits.auth_failure_addresses,
        clock=clock,
    )
    tokens = {"staff": add_token(services.engine, name="t-staff", role="staff")}
    yield Target(app, services, tokens, clock)
    services.engine.dispose()


async def test_thousands_of_wrong_bearer_tokens_are_cut_off_without_the_store(
    target: Target, config: VerifierConfig
) -> None:
    burst = config.limits.auth_failure_burst
    seconds_per_guess = 60 / config.limits.auth_failures_per_min
    statuses: list[int] = []
    async with target.client(ATTACKER) as attacker:
        with counted_queries(target.services.engine) as queries:
            for _ in range(GUESSES):
                guess = target.bearer(secrets.token_urlsafe(32))
                answer = await attacker.get("/v1/fleet", headers=guess)
                statuses.append(answer.status_code)
        assert Counter(statuses) == {401: burst, 429: GUESSES - burst}
        assert statuses.index(429) == burst  # cut off after the burst, not at the end
        assert len(queries) <= burst  # one lookup per allowed guess, none after
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.headers["retry-after"] == str(math.ceil(seconds_per_guess))
        assert "failed authentications" in answer.json()["detail"]
        async with target.client(NEIGHBOUR) as neighbour:
            good = await neighbour.get("/v1/fleet", headers=target.bearer(target.tokens["staff"]))
            assert good.status_code == 200
        target.clock.now += seconds_per_guess  # one more guess has been earned, and only one
        with counted_queries(target.services.engine) as queries:
            again = [
                (await attacker.get("/v1/fleet", headers=target.bearer("nope"))).status_code
                for _ in range(3)
            ]
        assert again == [401, 429, 429] and len(queries) == 1


async def test_a_good_token_behind_the_guessers_address_still_works(target: Target) -> None:
    staff = target.bearer(target.tokens["staff"])
    async with target.client(ATTACKER) as shared:
        assert (await shared.get("/v1/fleet", headers=staff)).status_code == 200
        for _ in range(100):
            await shared.get("/v1/fleet", headers=target.bearer(secrets.token_urlsafe(32)))
        blocked = await shared.get("/v1/fleet", headers=target.bearer("nope"))
        assert blocked.status_code == 429
        assert (await shared.get("/v1/fleet", headers=staff)).status_code == 200
        fresh = add_token(target.services.engine, name="new-desk", role="staff")
        assert (await shared.get("/v1/fleet", headers=target.bearer(fresh))).status_code == 429


async def test_thousands_of_wrong_sign_ins_are_cut_off_without_the_store(
    target: Target, config: VerifierConfig
) -> None:
    burst = config.limits.auth_failure_burst
    statuses: list[int] = []
    async with target.client(ATTACKER) as attacker:
        form = await attacker.get("/login")
        csrf = CSRF_FIELD.search(form.text)
        assert csrf
        with counted_queries(target.services.engine) as queries:
            for _ in range(GUESSES):
                data = {"token": secrets.token_urlsafe(32), "next": "/fleet", "csrf": csrf[1]}
                answer = await attacker.post("/login", data=data)
                statuses.append(answer.status_code)
        assert Counter(statuses) == {401: burst, 429: GUESSES - burst}
        assert statuses.index(429) == burst
        assert len(queries) <= burst
        assert int(answer.headers["retry-after"]) >= 1
        assert "Too many failed sign-ins" in answer.text
        assert "yzt_session" not in attacker.cookies
        # one budget per address: the API refuses this address's guesses too
        api = await attacker.get("/v1/stats", headers=target.bearer("nope"))
        assert api.status_code == 429
    async with target.client(NEIGHBOUR) as neighbour:
        form = await neighbour.get("/login")
        csrf = CSRF_FIELD.search(form.text)
        assert csrf
        data = {"token": target.tokens["staff"], "next": "/fleet", "csrf": csrf[1]}
        answer = await neighbour.post("/login", data=data)
        assert answer.status_code == 303 and "yzt_session" in neighbour.cookies


async def test_guessed_session_cookies_count_as_failures(
    target: Target, config: VerifierConfig
) -> None:
    burst = config.limits.auth_failure_burst
    async with target.client(ATTACKER) as attacker:
        with counted_queries(target.services.engine) as queries:
            statuses = []
            for _ in range(200):
                attacker.cookies.set("yzt_session", secrets.token_urlsafe(32))
                statuses.append((await attacker.get("/fleet")).status_code)
        assert Counter(statuses) == {303: burst, 429: 200 - burst}
        assert len(queries) <= burst


async def test_many_addresses_cannot_grow_the_limiter_without_bound(target: Target) -> None:
    target.services.auth_failures = FailedAuth(10, 2, max_addresses=20, clock=target.clock)
    last: list[int] = []
    for n in range(60):
        async with target.client(f"10.0.0.{n}") as attacker:
            last = [
                (await attacker.get("/v1/fleet", headers=target.bearer("x"))).status_code
                for _ in range(3)
            ]
        assert last == [401, 401, 429]
    assert len(target.services.auth_failures.buckets) == 20


async def test_an_ipv6_host_is_counted_by_its_slash_64(target: Target) -> None:
    target.services.auth_failures = FailedAuth(10, 2, max_addresses=100, clock=target.clock)
    for host in ("2001:db8:1:2::1", "2001:db8:1:2:ffff::9"):  # one /64: one budget
        async with target.client(host) as attacker:
            await attacker.get("/v1/fleet", headers=target.bearer("x"))
    async with target.client("2001:db8:1:2::77") as same:
        assert (await same.get("/v1/fleet", headers=target.bearer("x"))).status_code == 429
    async with target.client("2001:db8:1:3::1") as other:
        assert (await other.get("/v1/fleet", headers=target.bearer("x"))).status_code == 401


def test_address_keys() -> None:
    assert address_key("192.0.2.1") == "192.0.2.1"
    assert address_key("::ffff:192.0.2.1") == "192.0.2.1"
    assert address_key("2001:db8::1") == "2001:db8::/64"
    assert address_key(None) == "unknown"
    assert address_key("testclient") == "testclient"


def test_a_bucket_refills_at_its_rate_and_forgets_the_least_recent_key() -> None:
    clock = Clock()
    limiter = RateLimiter(0.5, 2, max_keys=2, clock=clock)
    assert [limiter.take("a") for _ in range(3)] == [0.0, 0.0, 2.0]
    assert limiter.wait("a") == 2.0 and limiter.wait("never") == 0.0 and len(limiter) == 1
    clock.now += 2.0
    assert limiter.take("a") == 0.0 and limiter.take("a") == 2.0
    limiter.take("b")
    limiter.take("c")  # "a" was used least recently: forgotten, as if full again
    assert len(limiter) == 2 and limiter.wait("a") == 0.0
