"""Console sign-in, sessions and CSRF, sent as a browser (and an attacker holding a copy of its
cookie, or a page on another site) would send them, against the app on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, func, select
from verifier_helpers import counted_queries, csv_body, id_numbers

from verifier.app import create_app
from verifier.config import VerifierConfig
from verifier.store.schema import console_sessions, health_codes
from verifier.store.tokens import add_token, revoke_token, token_hash

pytest_plugins = ("verifier_fixtures",)
BASE = "http://verifier.test"
BROWSER = "198.51.100.20"
CSRF_FIELD = re.compile(r'name="csrf" value="([^"]*)"')
CODES = "id_number,color,reason,updated_at,vaccine_doses"


@dataclass
class Console:
    app: FastAPI
    engine: Engine
    tokens: dict[str, str]

    def client(self, address: str = BROWSER, **cookies: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app, client=(address, 40000))
        return httpx.AsyncClient(transport=transport, base_url=BASE, cookies=cookies)


@pytest.fixture
async def console(config: VerifierConfig) -> AsyncIterator[Console]:
    app = create_app(config)
    engine = app.state.services.engine
    tokens = {role: add_token(engine, name=f"t-{role}", role=role) for role in ("staff", "admin")}
    tokens["kiosk"] = add_token(
        engine, name="lane-1", role="kiosk", site="hospital-a", kiosk_id="lane-1"
    )
    yield Console(app, engine, tokens)
    engine.dispose()


def form_csrf(page: httpx.Response) -> str:
    found = CSRF_FIELD.search(page.text)
    assert found, page.text
    return found.group(1)


async def sign_in(client: httpx.AsyncClient, token: str, next_path: str = "/fleet") -> str:
    """Fill in the sign-in form as a browser does; returns the session cookie it got."""
    form = await client.get("/login", params={"next": next_path})
    data = {"token": token, "next": next_path, "csrf": form_csrf(form)}
    answer = await client.post("/login", data=data)
    assert answer.status_code == 303 and answer.headers["location"] == next_path, answer.text
    return str(client.cookies["yzt_session"])


def session_rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(console_sessions)).scalar_one())


async def test_the_cookie_is_an_opaque_session_not_the_token(console: Console) -> None:
    async with console.client() as browser:
        session_id = await sign_in(browser, console.tokens["staff"])
        assert (await browser.get("/fleet")).status_code == 200
    assert console.tokens["staff"] not in session_id and len(session_id) >= 43
    with console.engine.connect() as conn:
        stored = conn.execute(select(console_sessions)).mappings().one()
    assert stored["sha256"] == token_hash(session_id)
    assert session_id not in repr(dict(stored))


async def test_session_cookie_attributes(console: Console) -> None:
    async with console.client() as browser:
        form = await browser.get("/login")
        data = {"token": console.tokens["staff"], "next": "/fleet", "csrf": form_csrf(form)}
        answer = await browser.post("/login", data=data)
    cookie = next(h for h in answer.headers.get_list("set-cookie") if h.startswith("yzt_session="))
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "max-age", "path"} <= attributes
    assert "Max-Age=43200" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie


async def test_a_cookie_copied_before_sign_out_is_refused_after_it(console: Console) -> None:
    async with console.client() as browser:
        stolen = await sign_in(browser, console.tokens["staff"])
        async with console.client("203.0.113.9", yzt_session=stolen) as thief:
            assert (await thief.get("/fleet")).status_code == 200
            page = await browser.get("/fleet")
            assert page.status_code == 200 and "退出 Sign out" in page.text
            out = await browser.post("/logout", data={"csrf": form_csrf(page)})
            assert out.status_code == 303 and out.headers["location"] == "/login"
            assert "yzt_session" not in browser.cookies
            after = await thief.get("/fleet")
            assert after.status_code == 303 and after.headers["location"] == "/login?next=/fleet"
            assert (await thief.get("/stats.csv")).status_code == 303
    assert session_rows(console.engine) == 0


async def test_revoking_the_token_ends_its_sessions(console: Console) -> None:
    async with console.client() as browser:
        await sign_in(browser, console.tokens["staff"])
        assert (await browser.get("/stats")).status_code == 200
        assert revoke_token(console.engine, key="t-staff") == 1
        refused = await browser.get("/stats")
    assert refused.status_code == 303 and refused.headers["location"].startswith("/login")


async def test_an_admin_console_cookie_opens_no_api_operation(console: Console) -> None:
    async with console.client() as browser:
        session_id = await sign_in(browser, console.tokens["admin"])
    body = csv_body(CODES, [f"{id_numbers(1)[0]},red,test,2026-11-01T00:00:00Z,0"])
    paths = console.app.openapi()["paths"]
    v1 = [(m, p) for p, ops in paths.items() if p.startswith("/v1/") for m in ops]
    assert ("put", "/v1/feeds/{kind}") in v1 and len(v1) >= 8
    async with console.client(yzt_session=session_id) as attacker:
        assert (await attacker.get("/fleet")).status_code == 200  # the session itself is live
        for method, path in v1:
            url = path.replace("{kind}", "codes")
            answer = await attacker.request(method, url, content=body)
            assert answer.status_code == 401, (method, path, answer.status_code)
            assert answer.headers["www-authenticate"] == "Bearer"
            assert answer.headers["content-type"] == "application/problem+json"
    async with console.client(yzt_session=console.tokens["admin"]) as old_style:
        # a cookie holding the token itself (as before sessions) opens neither API nor pages
        answer = await old_style.put("/v1/feeds/codes", content=body)
        assert answer.status_code == 401
        assert (await old_style.get("/fleet")).status_code == 303
    with console.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(health_codes)).scalar_one() == 0
    async with console.client() as script:
        bearer = {"Authorization": f"Bearer {console.tokens['admin']}"}
        assert (await script.get("/v1/fleet", headers=bearer)).status_code == 200


async def test_the_csv_download_follows_the_session_not_the_api(console: Console) -> None:
    async with console.client() as browser:
        await sign_in(browser, console.tokens["staff"], "/stats")
        page = await browser.get("/stats")
        assert 'href="/stats.csv?days=30"' in page.text
        download = await browser.get("/stats.csv", params={"days": 30})
        assert download.status_code == 200
        assert download.headers["content-type"] == "text/csv; charset=utf-8"
        assert (await browser.get("/v1/stats.csv")).status_code == 401


async def test_a_forged_sign_out_ends_nothing(console: Console) -> None:
    async with console.client() as browser, console.client("198.51.100.21") as other:
        await sign_in(browser, console.tokens["staff"])
        other_page = await other.get("/fleet", headers={"Authorization": "Bearer x"})
        assert other_page.status_code == 303
        await sign_in(other, console.tokens["admin"])
        foreign = form_csrf(await other.get("/fleet"))
        for forged in ({}, {"csrf": ""}, {"csrf": "0" * 64}, {"csrf": foreign}):
            answer = await browser.post("/logout", data=forged)
            assert answer.status_code == 403, forged
            assert answer.headers["content-type"] == "application/problem+json"
            assert "CSRF" in answer.json()["detail"]
        assert (await browser.get("/fleet")).status_code == 200
    assert session_rows(console.engine) == 2


async def test_a_forged_sign_in_is_refused_before_any_lookup(console: Console) -> None:
    staff = console.tokens["staff"]
    async with console.client("203.0.113.50") as attacker:
        own_csrf = form_csrf(await attacker.get("/login"))  # valid for the attacker's nonce only
    async with console.client() as victim:
        await victim.get("/login")  # the victim's browser holds its own nonce
        forgeries = [
            {"token": staff, "next": "/fleet"},
            {"token": staff, "next": "/fleet", "csrf": ""},
            {"token": staff, "next": "/fleet", "csrf": own_csrf},
            {"token": staff, "next": "/fleet", "csrf": "é" * 64},
        ]
        with counted_queries(console.engine) as queries:
            for forged in forgeries:
                answer = await victim.post("/login", data=forged)
                assert answer.status_code == 403, forged
                assert "expired or did not come from this page" in answer.text
                assert "yzt_session" not in victim.cookies
        assert queries == []
    async with console.client() as stranger:  # no nonce cookie at all
        answer = await stranger.post("/login", data={"token": staff, "csrf": own_csrf})
        assert answer.status_code == 403
    assert session_rows(console.engine) == 0


async def test_a_kiosk_token_gets_no_session(console: Console) -> None:
    async with console.client() as browser:
        form = await browser.get("/login")
        data = {"token": console.tokens["kiosk"], "next": "/fleet", "csrf": form_csrf(form)}
        answer = await browser.post("/login", data=data)
    assert answer.status_code == 403 and "kiosk token" in answer.text
    assert "yzt_session" not in browser.cookies and session_rows(console.engine) == 0


async def test_the_sign_in_form_keeps_its_nonce_across_tabs(console: Console) -> None:
    async with console.client() as browser:
        first = form_csrf(await browser.get("/login"))
        second = await browser.get("/login?next=/stats")
        assert "set-cookie" not in second.headers and form_csrf(second) == first
        data = {"token": console.tokens["staff"], "next": "/stats", "csrf": first}
        assert (await browser.post("/login", data=data)).status_code == 303
