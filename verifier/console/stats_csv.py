"""``GET /stats.csv``: the /stats page's download link, for a browser signed in to the console.

The same file as ``GET /v1/stats.csv``; this route exists because the API under ``/v1`` takes
bearer headers only and never the console's session cookie.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from verifier.api.deps import ServicesDep
from verifier.api.stats import DaysQuery, SiteQuery, stats_csv
from verifier.console.auth import StaffPage

router = APIRouter(include_in_schema=False)


@router.get("/stats.csv")
def stats_csv_download(
    staff: StaffPage,
    services: ServicesDep,
    days: int | None = DaysQuery,
    site: str | None = SiteQuery,
) -> Response:
    """The CSV of the figures for the page's ``days`` and ``site``."""
    return stats_csv(staff, services, days, site)
