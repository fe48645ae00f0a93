"""``GET /v1/stats`` and ``GET /v1/stats.csv`` (staff): what the kiosks decided, as counts per
day and site, shares and the p95 tap → verdict time — never a subject (docs/stats.md).

``stats_view`` is the one place the figures are put together; the JSON, the CSV and the /stats
page all show it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from verifier.api.deps import Services, ServicesDep, StaffAuth, scoped_site
from verifier.store.events import count_events, day_site_counts, event_counts, latency_p95
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
DaysQuery = Query(None, ge=1, le=3650, description="only the last N days (UTC dates)")
SiteQuery = Query(None, max_length=64)


@dataclass(frozen=True)
class StatsView:
    """The figures within a window: ``rows`` per day × site, ``per_day`` (every day from the
    first to the last with events, quiet days as zeros) and ``totals``."""

    since: str | None
    site: str | None
    rows: list[dict[str, Any]]
    per_day: list[dict[str, Any]]
    totals: dict[str, Any]


def since_day(days: int | None) -> str | None:
    """The first day of "the last ``days`` days", today (UTC) included."""
    return None if days is None else (utcnow().date() - timedelta(days=days - 1)).isoformat()


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _with_shares(tallies: dict[str, Any], p95: float | None) -> dict[str, Any]:
    checks = tallies["checks"]
    return {
        **tallies,
        "elder_share": _share(tallies["elder"], checks),
        "offline_share": _share(tallies["offline"], checks),
        "p95_ms": p95,
    }


def _every_day(first: str, last: str) -> list[str]:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return [(start + timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]


def stats_view(services: Services, *, since: str | None, site: str | None) -> StatsView:
    """Counts from one grouped query; p95 per day × site, per day and overall from three
    (a percentile cannot be summed from smaller groups)."""
    engine = services.engine
    counts = day_site_counts(engine, since_day=since, site=site)
    p95_cell = latency_p95(engine, by=("day", "site"), since_day=since, site=site)
    p95_day = latency_p95(engine, by=("day",), since_day=since, site=site)
    p95_all = latency_p95(engine, since_day=since, site=site).get(())
    rows = [_with_shares(r, p95_cell.get((r["day"], r["site"]))) for r in counts]
    zero = dict.fromkeys(TALLIES, 0)
    days: dict[str, dict[str, int]] = {}
    if counts:
        days = {day: dict(zero) for day in _every_day(counts[0]["day"], counts[-1]["day"])}
    for r in counts:
        for name in TALLIES:
            days[r["day"]][name] += r[name]
    per_day = [{"day": day, **_with_shares(t, p95_day.get((day,)))} for day, t in days.items()]
    totals = {name: sum(r[name] for r in counts) for name in TALLIES}
    return StatsView(since, site, rows, per_day, _with_shares(totals, p95_all))


@router.get("/v1/stats", summary="Verdict counts, shares and p95 latency")
def stats(
    token: StaffAuth,
    services: ServicesDep,
    days: int | None = DaysQuery,
    site: str | None = SiteQuery,
) -> dict[str, Any]:
    """``total`` is every stored event (a site-bound token's: its site's); the rest is within
    the filters."""
    site = scoped_site(token, site)
    since = since_day(days)
    counts = event_counts(services.engine, since_day=since, site=site)
    by_verdict = {"PASS": 0, "CHECK": 0, "DENY": 0}
    elder = 0
    for row in counts:
        by_verdict[row["verdict"]] = by_verdict.get(row["verdict"], 0) + row["count"]
        elder += row["count"] if row["age_band"] == "60+" else 0
    view = stats_view(services, since=since, site=site)
    return {
        "total": count_events(services.engine, site=token.site),
        "since": since,
        "site": site,
        "counted": sum(by_verdict.values()),
        "elder": elder,
        "by_verdict": by_verdict,
        "counts": counts,
        "days": view.rows,
        "per_day": view.per_day,
        "totals": view.totals,
    }


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


@router.get("/v1/stats.csv", summary="The per day × site figures as CSV (UTF-8 with BOM)")
def stats_csv(
    token: StaffAuth,
    services: ServicesDep,
    days: int | None = DaysQuery,
    site: str | None = SiteQuery,
) -> Response:
    """The BOM makes Excel read the file as UTF-8 (the header is in Chinese and English)."""
    view = stats_view(services, since=since_day(days), site=scoped_site(token, site))
    name = f"yzt-stats-{utcnow().date().isoformat()}.csv"
    return Response(
        ("\ufeff" + stats_csv_text(view)).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
