"""The /stats staff page in real headless Chromium against a real verifier process on SQLite and on
PostgreSQL, holding a few hundred events posted through /v1/events (and two of year 1 and 9999
stored before event times were checked): every number on the page, every bar of the charts and
the CSV download equal what the test counts from the events table."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page
from stats_sim import TALLIES, StatsServer, every_day, expected, serving_with_events

from verifier.console.stats_page import count, millis, percent
from verifier.store.sessions import start_session
from verifier.store.tokens import find_token

pytest_plugins = ("verifier_fixtures",)
pytestmark = pytest.mark.browser
EVENTS = 360
CHARTS = ("checks", "offline", "p95")
BARS_JS = """groups => groups.map(g => ({
    day: g.dataset.day,
    bars: Object.fromEntries([...g.querySelectorAll('rect')].map(r => [r.dataset.series,
        {value: Number(r.dataset.value), height: r.getBoundingClientRect().height}]))}))"""
ROWS_JS = """rows => rows.map(r => [r.dataset.day, r.dataset.site,
    ...[...r.querySelectorAll('td[data-col]')].map(td => td.innerText)])"""


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StatsServer]:
    tmp = tmp_path_factory.mktemp(f"stats-{request.param}")
    url = (
        f"sqlite:///{tmp / 'verifier.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("pg_url")
    )
    with serving_with_events(tmp, url, EVENTS) as served:
        yield served


@pytest.fixture
def context(browser: Browser, served: StatsServer) -> Iterator[BrowserContext]:
    """A browser signed in as staff (a session opened in the store and its cookie set directly;
    /login has its own tests)."""
    context = browser.new_context(
        viewport={"width": 1440, "height": 1000}, locale="zh-CN", accept_downloads=True
    )
    staff = find_token(served.engine, served.tokens["staff"])
    assert staff is not None
    session_id = start_session(served.engine, staff.id)
    cookie = {"name": "yzt_session", "value": session_id, "url": served.url}
    context.add_cookies([cookie])  # type: ignore[list-item]
    yield context
    context.close()


def headline(page: Page) -> dict[str, str]:
    figures: dict[str, str] = page.eval_on_selector_all(
        "[data-figure]", "els => Object.fromEntries(els.map(e => [e.dataset.figure, e.innerText]))"
    )
    return figures


def assert_page_shows(page: Page, want: dict[str, Any]) -> None:
    t = want["totals"]
    shown = headline(page)
    assert shown == {
        "checks": count(t["checks"]),
        "elder": count(t["elder"]),
        "elder_share": percent(t["elder_share"]),
        "offline": count(t["offline"]),
        "offline_share": percent(t["offline_share"]),
        "p95_ms": millis(t["p95_ms"]),
        **{v: count(t[v]) for v in ("pass", "check", "deny")},
        **{f"{v}_share": percent(t[v] / t["checks"]) for v in ("pass", "check", "deny")},
    }
    rows = page.eval_on_selector_all("table.stats tbody tr", ROWS_JS)
    assert rows == [
        [r["day"], r["site"], *(count(r[n]) for n in TALLIES), millis(r["p95_ms"])]
        for r in want["rows"]
    ]
    footer = page.eval_on_selector_all("tr[data-total] [data-col]", "c => c.map(x => x.innerText)")
    assert footer == [*(count(t[n]) for n in TALLIES), millis(t["p95_ms"])]


def chart_bars(page: Page, chart: str) -> list[dict[str, Any]]:
    bars: list[dict[str, Any]] = page.eval_on_selector_all(
        f"[data-chart={chart}] svg g.day", BARS_JS
    )
    return bars


def test_every_figure_equals_the_events_counted_independently(
    served: StatsServer, context: BrowserContext, artifacts_dir: Path
) -> None:
    page = context.new_page()
    page.goto(f"{served.url}/stats?days=all")
    assert page.url.endswith("/stats?days=all")  # signed in: no detour to /login
    assert page.get_attribute("nav a[aria-current=page]", "href") == "/stats"
    assert_page_shows(page, expected(served.engine, days=None, site=None))
    page.screenshot(path=artifacts_dir / "stats.png")
    page.goto(f"{served.url}/stats")  # default: the last 30 days, which hold every event here
    assert page.eval_on_selector("select[name=days]", "s => s.value") == "30"
    assert_page_shows(page, expected(served.engine, days=30, site=None))


def test_charts_have_one_bar_group_per_day_scaled_to_the_figures(
    served: StatsServer, context: BrowserContext
) -> None:
    page = context.new_page()
    page.goto(f"{served.url}/stats?days=all")
    per_day = every_day(expected(served.engine, days=None, site=None)["per_day"])
    days = [d["day"] for d in per_day]
    assert any(d["checks"] == 0 for d in per_day)  # quiet days are drawn as empty groups
    for chart in CHARTS:
        assert [g["day"] for g in chart_bars(page, chart)] == days, chart
    checks = chart_bars(page, "checks")
    for group, want in zip(checks, per_day, strict=True):
        shown = {key: bar["value"] for key, bar in group["bars"].items()}
        assert shown == {v: want[v] for v in ("pass", "check", "deny") if want[v]}
    px_per_check = [
        sum(bar["height"] for bar in g["bars"].values()) / d["checks"]
        for g, d in zip(checks, per_day, strict=True)
        if d["checks"]
    ]
    assert max(px_per_check) - min(px_per_check) < 0.02 * max(px_per_check)
    for chart, field in (("offline", "offline_share"), ("p95", "p95_ms")):
        bars = chart_bars(page, chart)
        shown = [g["bars"][chart]["value"] if g["bars"] else None for g in bars]
        assert shown == [d[field] or None for d in per_day], chart
    grid = page.eval_on_selector_all(
        "[data-chart=offline] svg .grid line", "ls => ls.map(l => l.getBoundingClientRect().y)"
    )
    full_px = grid[0] - grid[-1]  # from the 0 % line up to the 100 % line
    for group, want in zip(chart_bars(page, "offline"), per_day, strict=True):
        if want["checks"]:
            height = group["bars"]["offline"]["height"]
            assert abs(height / full_px - want["offline_share"]) < 0.01, group["day"]


def test_filters_and_the_csv_download(served: StatsServer, context: BrowserContext) -> None:
    page = context.new_page()
    page.goto(f"{served.url}/stats")
    page.select_option("select[name=days]", "7")
    page.select_option("select[name=site]", "metro-2")
    page.click("form.filters button")
    assert page.url.endswith("/stats?days=7&site=metro-2")
    want = expected(served.engine, days=7, site="metro-2")
    assert 0 < want["totals"]["checks"] < EVENTS
    assert_page_shows(page, want)
    charted = [g["day"] for g in chart_bars(page, "checks")]
    assert charted == [d["day"] for d in every_day(want["per_day"])]
    with page.expect_download() as download:
        page.click("a.download")
    body = Path(download.value.path()).read_bytes()
    assert download.value.suggested_filename.startswith("yzt-stats-")
    assert body.startswith(b"\xef\xbb\xbf")
    _header, *rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert [(r[0], r[1], *map(int, r[2:8])) for r in rows] == [
        (r["day"], r["site"], *(r[n] for n in TALLIES)) for r in want["rows"]
    ]
    page.goto(f"{served.url}/stats?site=nowhere")
    assert "No checks in this period at nowhere" in page.inner_text("main")
    assert not page.query_selector("svg.chart")


def test_the_page_is_for_staff_only(served: StatsServer) -> None:
    away = httpx.get(f"{served.url}/stats?days=7")
    assert away.status_code == 303 and away.headers["location"] == "/login?next=/stats%3Fdays%3D7"
    assert httpx.get(f"{served.url}/stats", headers=served.auth("kiosk")).status_code == 403
    page = httpx.get(f"{served.url}/stats?days=all", headers=served.auth("admin"))
    assert page.status_code == 200
    assert page.text.count("<tr data-day=") == len(
        expected(served.engine, days=None, site=None)["rows"]
    )


@pytest.mark.parametrize("days", ["all", "30", "99999999", "-5", "365"])
def test_old_and_far_future_rows_cannot_blow_up_the_page(served: StatsServer, days: str) -> None:
    """The attack as found: events of year 1 and 9999 in the store made the page 877 MB. They
    stay outside every window; a period past retention falls back to the default 30 days."""
    answer = httpx.get(f"{served.url}/stats?days={days}", headers=served.auth("admin"))
    assert answer.status_code == 200
    want = expected(served.engine, days=None if days == "all" else 30, site=None)
    assert len(answer.content) < 200_000
    assert answer.text.count("<tr data-day=") == len(want["rows"])
    groups = answer.text.count('<g class="day"')
    assert groups == 3 * len(every_day(want["per_day"])) <= 3 * 33
    assert "0001-06-01" not in answer.text and "9999-06-01" not in answer.text
    assert 'value="90"' not in answer.text and 'value="365"' not in answer.text  # past retention
