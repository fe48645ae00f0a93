"""``GET /v1/stats`` and ``GET /v1/stats.csv`` (staff): what the kiosks decided, as counts per
day and site, shares and the p95 tap → verdict time — never a subject (docs/stats.md).

``stats_view`` is the one place the figures are put together; the JSON, the CSV and the /stats
page all show it. Every answer covers a bounded window of days — at most what retention keeps —
and lists only the days that have events, so its size follows the data, not the calendar.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from verifier.api.clock import ClockWindow
from verifier.api.deps import Services, ServicesDep, StaffAuth, scoped_site
from verifier.config import VerifierConfig
from verifier.store.events import count_events, day_site_counts, event_counts
from verifier.store.p95 import ALL_SITES, group_p95s, window_p95
from verifier.timeutil import utcnow

router = APIRouter(tags=["staff"])
TALLIES = ("checks", "pass", "check", "deny", "elder", "offline")
CSV_COLUMNS = {
    "day": "日期 day",
    "site": "场所 site",
    "checks": "核验 checks",
    "pass": "通过 PASS",
    "check": "人工核验 CHECK",
    "deny": "拒绝 DENY",
    "elder": "60岁以上 60+",
    "offline": "离线判定 offline",
    "elder_share": "60+占比 elder share",
    "offline_share": "离线占比 offline share",
    "p95_ms": "p95 毫秒 ms",
}
FORMULA_START = ("=", "+", "-", "@")
DaysQuery = Query(
    None,
    ge=1,
    le=3650,
    description="only the last N days (UTC dates), at most privacy.retention_days; "
    "without it, everything retention keeps",
)
SiteQuery = Query(None, max_length=64)


@dataclass(frozen=True)
class Window:
    """The days shown, ``since`` to ``until`` inclusive (``YYYY-MM-DD``, the kiosks' dates)."""

    since: str
    until: str


def stats_window(config: VerifierConfig, days: int | None, now: datetime | None = None) -> Window:
    """The last ``days`` days, today (UTC) included, or with None every day an event may still
    be kept on; never past the last day an accepted event can carry (the server's clock plus
    ``limits.clock_skew_s``, in a zone up to a day ahead). ``days`` beyond the retention is a
    422: those events are purged."""
    retention = config.privacy.retention_days
    if days is not None and days > retention:
        raise RequestValidationError(
            [
                {
                    "type": "less_than_equal",
                    "loc": ("query", "days"),
                    "msg": f"must be at most {retention} (privacy.retention_days): older events "
                    "are purged; leave days out for everything kept",
                    "input": None,
                }
            ]
        )
    clock = ClockWindow.of(config, now)
    day = timedelta(days=1)
    first = (clock.earliest - day).date() if days is None else (clock.now - (days - 1) * day).date()
    return Window(first.isoformat(), (clock.latest + day).date().isoformat())


@dataclass(frozen=True)
class StatsView:
    """The figures within a window: ``rows`` per day × site, ``per_day`` (the days with
    events, in order) and ``totals``."""

    window: Window
    site: str | None
    rows: list[dict[str, Any]]
    per_day: list[dict[str, Any]]
    totals: dict[str, Any]


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _with_shares(tallies: dict[str, int], p95: float | None) -> dict[str, Any]:
    checks = tallies["checks"]
    return {
        **{name: tallies[name] for name in TALLIES},
        "elder_share": _share(tallies["elder"], checks),
        "offline_share": _share(tallies["offline"], checks),
        "p95_ms": p95,
    }


def stats_view(services: Services, *, window: Window, site: str | None) -> StatsView:
    """Counts per day × site from one grouped read of the tallies, summed into days and
    totals; p95 per day × site, per day and overall (a percentile cannot be summed from smaller
    groups; at one site a day is its one cell): the first two mostly cached, each group's n
    summed from the same read, the overall one from the latency histogram
    (verifier/store/p95.py)."""
    engine = services.engine
    where = {"since_day": window.since, "until_day": window.until, "site": site}
    cells = day_site_counts(engine, **where)
    days: dict[str, dict[str, int]] = {}
    total = dict.fromkeys((*TALLIES, "timed"), 0)
    for cell in cells:
        day = days.setdefault(cell["day"], dict.fromkeys((*TALLIES, "timed"), 0))
        for name in (*TALLIES, "timed"):
            day[name] += cell[name]
            total[name] += cell[name]
    groups = {(c["day"], c["site"]): c["timed"] for c in cells}
    if site is None:
        groups |= {(day, ALL_SITES): d["timed"] for day, d in days.items()}
    p95s = group_p95s(engine, groups)
    p95_all = window_p95(engine, **where)
    rows = [
        {"day": c["day"], "site": c["site"], **_with_shares(c, p95s.get((c["day"], c["site"])))}
        for c in cells
    ]
    per_day = [
        {"day": day, **_with_shares(d, p95s.get((day, site or ALL_SITES)))}
        for day, d in days.items()
    ]
    return StatsView(window, site, rows, per_day, _with_shares(total, p95_all))


@router.get(
    "/v1/stats",
    summary="Verdict counts, shares and p95 latency",
    response_model=dict[str, Any],
)
def stats(
    token: StaffAuth,
    services: ServicesDep,
    days: int | None = DaysQuery,
    site: str | None = SiteQuery,
) -> JSONResponse:
    """``total`` is every stored event (a site-bound token's: its site's); the rest is within
    the filters. Sent as built (plain JSON values already): FastAPI's generic encoder would take
    longer over the thousands of counts than the store takes to count them."""
    site = scoped_site(token, site)
    window = stats_window(services.config, days)
    view = stats_view(services, window=window, site=site)
    where = {"since_day": window.since, "until_day": window.until, "site": site}
    totals = view.totals
    answer = {
        "total": count_events(services.engine, site=token.site),
        "since": window.since,
        "until": window.until,
        "site": site,
        "counted": totals["checks"],
        "elder": totals["elder"],
        "by_verdict": {verdict: totals[verdict.lower()] for verdict in ("PASS", "CHECK", "DENY")},
        "counts": event_counts(services.engine, **where),
        "days": view.rows,
        "per_day": view.per_day,
        "totals": totals,
    }
    return JSONResponse(answer)


def _cell(value: Any) -> str:
    """A CSV cell; text that Excel would run as a formula is quoted with ``'``."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if isinstance(value, str) and text.startswith(FORMULA_START) else text


def stats_csv_text(view: StatsView) -> str:
    """One row per day × site under a bilingual header; shares to 4 places."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS.values())
    for row in view.rows:
        shares = {name: f"{row[name]:.4f}" for name in ("elder_share", "offline_share")}
        writer.writerow(_cell({**row, **shares}[name]) for name in CSV_COLUMNS)
    return out.getvalue()


@router.get(
    "/v1/stats.csv",
    summary="The per day × site figures as CSV (UTF-8 with BOM)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def stats_csv(
    token: StaffAuth,
    services: ServicesDep,
    days: int | None = DaysQuery,
    site: str | None = SiteQuery,
) -> Response:
    """The BOM makes Excel read the file as UTF-8 (the header is in Chinese and English)."""
    window = stats_window(services.config, days)
    view = stats_view(services, window=window, site=scoped_site(token, site))
    name = f"yzt-stats-{utcnow().date().isoformat()}.csv"
    return Response(
        ("\ufeff" + stats_csv_text(view)).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
