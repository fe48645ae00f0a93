"""Security headers on every answer (pages, API, errors, static files), and, in real headless
Chromium against a real verifier, the console working under its Content-Security-Policy while an
injected script does not run and another site cannot frame it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fleet_sim import status_doc
from playwright.sync_api import Browser, ConsoleMessage, Page
from stats_sim import generated_events
from verifier_helpers import serving, write_config

from verifier.app import create_app
from verifier.config import VerifierConfig, load_config
from verifier.store import open_store
from verifier.store.tokens import add_token

pytest_plugins = ("verifier_fixtures",)
KIOSK, SITE = "lane-1", "hospital-a"


def assert_hardened(answer: httpx.Response) -> None:
    where = f"{answer.request.method} {answer.request.url.path} → {answer.status_code}"
    assert answer.headers.get("x-frame-options") == "DENY", where
    assert answer.headers.get("x-content-type-options") == "nosniff", where
    assert answer.headers.get("referrer-policy") == "no-referrer", where
    policy = answer.headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in policy and "default-src 'none'" in policy, where
    if answer.request.url.path not in ("/docs", "/redoc"):
        assert "unsafe-inline" not in policy and "script-src" not in policy, where


@pytest.fixture
async def client(config: VerifierConfig) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    app = create_app(config)
    engine = app.state.services.engine
    tokens = {role: add_token(engine, name=f"t-{role}", role=role) for role in ("staff", "admin")}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://verifier.test") as c:
        yield c, {role: f"Bearer {token}" for role, token in tokens.items()}
    engine.dispose()


async def test_every_page_and_api_answer_carries_the_headers(
    client: tuple[httpx.AsyncClient, dict[str, str]],
) -> None:
    c, bearer = client
    staff = {"Authorization": bearer["staff"]}
    answers = [
        await c.get("/login"),
        await c.post("/login", data={"token": "x"}),
        await c.get("/fleet"),
        await c.get("/fleet", headers=staff),
        await c.get("/stats", headers=staff),
        await c.get("/stats.csv", headers=staff),
        await c.post("/logout"),
        await c.get("/v1/fleet"),
        await c.get("/v1/fleet", headers=staff),
        await c.get("/v1/stats.csv", headers=staff),
        await c.put("/v1/feeds/codes", headers={"Authorization": bearer["admin"]}, content=b""),
        await c.post("/v1/verify", headers=staff, json={}),
        await c.post("/v1/events", content=b"[" + b" " * 2_000_000 + b"]"),
        await c.get("/healthz"),
        await c.get("/readyz"),
        await c.get("/metrics"),
        await c.get("/openapi.json"),
        await c.get("/docs"),
        await c.get("/redoc"),
        await c.get("/console/static/console.css"),
        await c.get("/nowhere"),
    ]
    assert {a.status_code for a in answers} >= {200, 303, 401, 403, 404, 413, 422}
    for answer in answers:
        assert_hardened(answer)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A real verifier with one kiosk's heartbeat and a few days of its events; (url, staff)."""
    tmp = tmp_path_factory.mktemp("headers")
    config_path = write_config(tmp / "data", f"sqlite:///{tmp / 'verifier.db'}")
    engine = open_store(load_config(config_path).database_url())
    staff = add_token(engine, name="duty-desk", role="staff")
    kiosk = {
        "Authorization": "Bearer "
        + add_token(engine, name=KIOSK, role="kiosk", site=SITE, kiosk_id=KIOSK)
    }
    engine.dispose()
    with serving(config_path, tmp / "serve.log") as url:
        beat = httpx.post(f"{url}/v1/heartbeat", json=status_doc(KIOSK, SITE), headers=kiosk)
        assert beat.status_code == 200, beat.text
        events = [{**e, "kiosk_id": KIOSK, "site": SITE} for e in generated_events(40)]
        posted = httpx.post(f"{url}/v1/events", json={"events": events}, headers=kiosk)
        assert posted.status_code == 200, posted.text
        yield url, staff


def watched(page: Page) -> list[str]:
    """Console errors the page reports (Chromium reports every CSP refusal there)."""
    errors: list[str] = []

    def keep(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", keep)
    return errors


@pytest.mark.browser
def test_the_console_works_under_its_policy(served: tuple[str, str], browser: Browser) -> None:
    url, staff = served
    context = browser.new_context()
    page = context.new_page()
    errors = watched(page)
    page.goto(f"{url}/fleet")
    page.fill("#token", staff)
    page.click("button[type=submit]")
    assert page.url == f"{url}/fleet"
    assert page.locator("tr[data-kiosk]").count() == 1
    top = page.eval_on_selector("header.top", "h => getComputedStyle(h).backgroundColor")
    assert top == "rgb(18, 53, 91)"  # console.css applied
    page.goto(f"{url}/stats?days=all")
    bars = page.locator("[data-chart=checks] svg rect.bar")
    assert bars.count() > 0
    fill = page.eval_on_selector(
        "[data-chart=checks] svg rect.bar.pass", "r => getComputedStyle(r).fill"
    )
    assert fill == "rgb(27, 127, 59)"  # stats.css applied to the inline SVG
    with page.expect_download() as download:
        page.click("a.download")
    assert Path(download.value.path()).read_bytes().startswith(b"\xef\xbb\xbf")
    page.click("form.signout button")
    assert page.url == f"{url}/login"
    assert [e for e in errors if "Content Security Policy" in e] == []
    context.close()


@pytest.mark.browser
def test_an_injected_script_does_not_run(served: tuple[str, str], browser: Browser) -> None:
    url, _staff = served
    page = browser.new_page()
    errors = watched(page)
    page.goto(f"{url}/login")
    page.evaluate(
        """() => {
        const s = document.createElement('script');
        s.textContent = 'window.injected = true';
        document.body.appendChild(s);
        const i = document.createElement('img');
        i.src = 'https://evil.example/steal.png';
        document.body.appendChild(i);
    }"""
    )
    assert page.evaluate("() => window.injected === undefined")
    assert any("Content Security Policy" in e for e in errors), errors
    page.close()


@pytest.mark.browser
def test_another_site_cannot_frame_the_console(served: tuple[str, str], browser: Browser) -> None:
    url, _staff = served
    page = browser.new_page()
    page.set_content(f'<iframe id="victim" src="{url}/login" width="600" height="400"></iframe>')
    page.wait_for_load_state("load")
    assert page.frame_locator("#victim").locator("#token").count() == 0
    assert [frame.url for frame in page.frames[1:]] == ["chrome-error://chromewebdata/"]
    page.close()
