"""``GET /stats``: the headline figures, three charts and the day × site table on one page.

Everything shown comes from ``stats_view`` (verifier/api/stats.py), the same figures as
``GET /v1/stats`` and the CSV download; the charts are SVG drawn by verifier/console/charts.py.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from verifier.api.deps import Services, scoped_site
from verifier.api.stats import TALLIES, StatsView, stats_view, stats_window
from verifier.console.auth import StaffPage
from verifier.console.charts import Series, bar_chart
from verifier.console.templating import templates
from verifier.store.events import event_sites

router = APIRouter(include_in_schema=False)
DAY_CHOICES = (7, 30, 90, 365)
DEFAULT_DAYS = 30
ALL = "all"
VERDICTS = (("pass", "通过 PASS"), ("check", "人工核验 CHECK"), ("deny", "拒绝 DENY"))


def count(value: int) -> str:
    """A count with thousands separators."""
    return f"{value:,}"


def percent(share: float | None) -> str:
    """A share as a percentage to one decimal; ``—`` when there is nothing to share."""
    return "—" if share is None else f"{share * 100:.1f}%"


def millis(value: float | None) -> str:
    """A latency in whole milliseconds; ``—`` when no event reported one."""
    return "—" if value is None else f"{value:.0f} ms"


def day_choices(retention_days: int) -> list[int]:
    """The periods offered: those retention keeps (``all`` covers the rest)."""
    return [d for d in DAY_CHOICES if d <= retention_days]


def chosen_days(days: str | None, retention_days: int) -> int | None:
    """The page's window: an offered choice, ``all`` (None), else the default (``all`` when
    retention is shorter than the default)."""
    choices = day_choices(retention_days)
    if days == ALL:
        return None
    chosen = next((d for d in choices if str(d) == days), None)
    return chosen or (DEFAULT_DAYS if DEFAULT_DAYS in choices else None)


def chart_days(view: StatsView) -> list[dict[str, Any]]:
    """``per_day`` with the quiet days between the first and the last drawn as empty slots
    (zero checks, no share, no p95): a gap in time shows as one. At most the window's days,
    which retention bounds."""
    if not view.per_day:
        return []
    known = {d["day"]: d for d in view.per_day}
    first = date.fromisoformat(view.per_day[0]["day"])
    span = (date.fromisoformat(view.per_day[-1]["day"]) - first).days + 1
    quiet = {
        **dict.fromkeys(TALLIES, 0),
        "elder_share": None,
        "offline_share": None,
        "p95_ms": None,
    }
    days = [(first + timedelta(days=n)).isoformat() for n in range(span)]
    return [known.get(day, {"day": day, **quiet}) for day in days]


def charts(view: StatsView) -> dict[str, Markup]:
    """Checks per day stacked by verdict, share decided offline, p95 tap → verdict."""
    per_day = chart_days(view)
    days = [d["day"] for d in per_day]

    def series(key: str, label: str, field: str | None = None) -> Series:
        return Series(key, label, [d[field or key] for d in per_day])

    return {
        "checks": bar_chart(
            title="每日核验次数（按结果） Checks per day by verdict",
            days=days,
            series=[series(key, label) for key, label in VERDICTS],
            fmt=lambda v: count(round(v)),
            whole=True,
        ),
        "offline": bar_chart(
            title="每日离线判定占比 Share decided offline per day",
            days=days,
            series=[series("offline", "离线占比 Offline share", "offline_share")],
            fmt=percent,
            y_max=1.0,
        ),
        "p95": bar_chart(
            title="每日 p95 刷卡→结果 p95 tap → verdict per day",
            days=days,
            series=[series("p95", "p95 毫秒 ms", "p95_ms")],
            fmt=millis,
        ),
    }


def _figures(services: Services, days: int | None, site: str | None) -> dict[str, Any]:
    window = stats_window(services.config, days)
    view = stats_view(services, window=window, site=site)
    sites = event_sites(services.engine, since_day=window.since, until_day=window.until)
    return {"view": view, "sites": sites}


@router.get("/stats", response_class=HTMLResponse)
async def stats_page(
    request: Request,
    staff: StaffPage,
    days: Annotated[str | None, Query(max_length=8)] = None,
    site: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """The figures for the last ``days`` days (7, 30, 90 or 365 as far as retention keeps
    them, or ``all``) at ``site`` (empty: every site); an unknown ``days`` means the default."""
    services: Services = request.app.state.services
    retention = services.config.privacy.retention_days
    window = chosen_days(days, retention)
    site = scoped_site(staff, site or None)
    figures = await run_in_threadpool(_figures, services, window, site)
    view: StatsView = figures["view"]
    csv_query = {"days": window, "site": site}
    context = {
        "page": "stats",
        "signed_in": True,
        "view": view,
        "charts": charts(view) if view.rows else {},
        "sites": sorted({*figures["sites"], *([site] if site else [])})
        if staff.site is None
        else [staff.site],
        "site": site,
        "days": window or ALL,
        "day_choices": day_choices(retention),
        "retention_days": retention,
        "verdicts": VERDICTS,
        "csv_url": "/stats.csv?" + urlencode({k: v for k, v in csv_query.items() if v}),
        "count": count,
        "percent": percent,
        "millis": millis,
    }
    return templates.TemplateResponse(request, "stats.html", context)
