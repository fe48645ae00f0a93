"""The /fleet staff page in real headless Chromium against a real verifier process holding 50
simulated kiosks: sign-in, every state and badge, filters, sign-out, and who is refused."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fleet_sim import SITES, Served, running_fleet
from playwright.sync_api import Browser, BrowserContext, Page

pytestmark = pytest.mark.browser
ROWS_JS = """rows => rows.map(r => ({
    kiosk: r.dataset.kiosk, site: r.dataset.site, state: r.dataset.state,
    codes: [...r.querySelectorAll('.alert')].map(a => a.dataset.code)}))"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with running_fleet(tmp_path_factory.mktemp("fleet")) as served:
        yield served


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport={"width": 1680, "height": 1050}, locale="zh-CN")
    yield context
    context.close()


def sign_in(page: Page, served: Served, role: str, path: str = "/fleet") -> None:
    page.goto(served.url + path)
    page.fill("#token", served.tokens[role])
    page.click("button[type=submit]")


def shown_rows(page: Page) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = page.eval_on_selector_all("tr[data-kiosk]", ROWS_JS)
    return rows


def test_without_a_session_the_page_sends_you_to_sign_in(
    served: Served, context: BrowserContext
) -> None:
    page = context.new_page()
    page.goto(f"{served.url}/fleet?site=metro-2")
    assert page.url == f"{served.url}/login?next=/fleet%3Fsite%3Dmetro-2"
    assert page.is_visible("#token")
    sign_in(page, served, "staff", "/fleet?site=metro-2")  # the form keeps where you were going
    assert page.url.endswith("/fleet?site=metro-2")
    assert {row["site"] for row in shown_rows(page)} == {"metro-2"}


def test_a_kiosk_token_cannot_sign_in(served: Served, context: BrowserContext) -> None:
    page = context.new_page()
    sign_in(page, served, "kiosk")
    assert "/login" in page.url
    message = page.inner_text("#login-error")
    assert "kiosk" in message and "staff token" in message
    assert not [c for c in context.cookies() if c["name"] == "yzt_session"]
    page.goto(f"{served.url}/fleet")
    assert "/login" in page.url


def test_tokens_in_headers_staff_in_kiosk_out(served: Served) -> None:
    assert httpx.get(f"{served.url}/fleet", headers=served.auth("kiosk")).status_code == 403
    refused = httpx.get(f"{served.url}/fleet", headers={"Authorization": "Bearer nope"})
    assert refused.status_code == 303 and refused.headers["location"] == "/login?next=/fleet"
    page = httpx.get(f"{served.url}/fleet", headers=served.auth("admin"))
    assert page.status_code == 200 and page.text.count("<tr data-kiosk=") == 50


def test_every_kiosk_shows_its_state_and_alerts_worst_first(
    served: Served, context: BrowserContext, artifacts_dir: Path
) -> None:
    page = context.new_page()
    sign_in(page, served, "staff")
    assert page.url == f"{served.url}/fleet"
    (cookie,) = [c for c in context.cookies() if c["name"] == "yzt_session"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    assert page.get_attribute("meta[http-equiv=refresh]", "content") == "15"
    page.set_viewport_size({"width": 1600, "height": 1200})
    page.screenshot(path=artifacts_dir / "fleet.png")
    rows = shown_rows(page)
    expected = {k.kiosk_id: (k.state, sorted(k.codes)) for k in served.kiosks}
    assert {r["kiosk"]: (r["state"], sorted(r["codes"])) for r in rows} == expected
    order = [r["state"] for r in rows]
    assert order == sorted(order, key=["offline", "degraded", "online"].index)
    counts = Counter(k.state for k in served.kiosks)
    for name, count in {**counts, "total": 50, "with_alerts": 30}.items():
        assert page.inner_text(f"[data-count={name}] b") == str(count)
    jammed = page.locator("tr[data-kiosk] .alert[data-code=READER_JAMMED]").first
    assert "卡住" in jammed.inner_text() and "Remove any stuck card" in jammed.inner_text()


def test_filters_by_site_and_state(served: Served, context: BrowserContext, tmp_path: Path) -> None:
    page = context.new_page()
    sign_in(page, served, "staff")
    page.select_option("select[name=site]", "clinic-b")
    page.select_option("select[name=state]", "degraded")
    page.click("form.filters button")
    wanted = {k.kiosk_id for k in served.kiosks if k.site == "clinic-b" and k.state == "degraded"}
    assert {r["kiosk"] for r in shown_rows(page)} == wanted
    assert page.inner_text("[data-count=total] b") == str(
        sum(k.site == "clinic-b" for k in served.kiosks)
    )
    for state in ("offline", "degraded", "online"):
        page.goto(f"{served.url}/fleet?state={state}")
        shown = {r["kiosk"] for r in shown_rows(page)}
        assert shown == {k.kiosk_id for k in served.kiosks if k.state == state}
        page.screenshot(path=tmp_path / f"fleet-{state}.png", full_page=True)
    page.goto(f"{served.url}/fleet?site=nowhere")
    assert "No kiosk matches" in page.inner_text("main")
    assert set(
        page.eval_on_selector_all("select[name=site] option", "o => o.map(x => x.value)")
    ) == {
        "",
        *SITES,
    }


def test_sign_out_ends_the_session(served: Served, context: BrowserContext) -> None:
    page = context.new_page()
    sign_in(page, served, "staff")
    page.click("form.signout button")
    assert page.url == f"{served.url}/login"
    page.goto(f"{served.url}/fleet")
    assert "/login" in page.url


@pytest.mark.parametrize(
    ("target", "landing"),
    [
        ("/fleet?state=offline", "/fleet?state=offline"),
        ("//evil.example/x", "/fleet"),
        ("https://evil.example/", "/fleet"),
        ("/\\evil.example", "/fleet"),
    ],
)
def test_sign_in_goes_only_to_pages_of_this_site(served: Served, target: str, landing: str) -> None:
    with httpx.Client(base_url=served.url) as client:
        form = client.get("/login")
        csrf = re.search(r'name="csrf" value="([^"]*)"', form.text)
        assert csrf
        data = {"token": served.tokens["staff"], "next": target, "csrf": csrf[1]}
        answer = client.post("/login", data=data)
    assert answer.status_code == 303 and answer.headers["location"] == landing


def test_a_site_bound_staff_token_sees_its_own_site_only(served: Served) -> None:
    own, other = SITES[0], SITES[1]
    headers = served.auth(f"staff-{own}")
    fleet = httpx.get(f"{served.url}/v1/fleet", headers=headers).json()
    assert {k["site"] for k in fleet["kiosks"]} == {own}
    assert fleet["summary"]["total"] == sum(k.site == own for k in served.kiosks)
    refused = httpx.get(f"{served.url}/v1/fleet", params={"site": other}, headers=headers)
    assert refused.status_code == 403 and own in refused.json()["detail"]
    page = httpx.get(f"{served.url}/fleet", headers=headers).text
    assert other not in page and page.count("<tr data-kiosk=") == fleet["summary"]["total"]
    assert httpx.get(f"{served.url}/v1/stats", headers=headers).json()["site"] == own
    csv = httpx.get(f"{served.url}/v1/stats.csv", params={"site": other}, headers=headers)
    assert csv.status_code == 403
