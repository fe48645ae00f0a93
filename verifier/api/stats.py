"""``GET /v1/stats`` (staff): event counts per day, site, verdict and age band — never subjects."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Query

from verifier.api.deps import ServicesDep, StaffAuth
from verifier.store.events import count_events, event_counts
from verifier.timeutil import utcnow

router = APIRouter(tags=["staff"])


@router.get("/v1/stats", summary="Counts of verdict events")
def stats(
    _token: StaffAuth,
    services: ServicesDep,
    days: int | None = Query(None, ge=1, le=3650, description="only the last N days"),
    site: str | None = Query(None, max_length=64),
) -> dict[str, Any]:
    """``total`` is every stored event; ``counts`` are grouped rows within the filters."""
    since = None if days is None else (utcnow().date() - timedelta(days=days - 1)).isoformat()
    counts = event_counts(services.engine, since_day=since, site=site)
    by_verdict = {"PASS": 0, "CHECK": 0, "DENY": 0}
    elder = 0
    for row in counts:
        by_verdict[row["verdict"]] = by_verdict.get(row["verdict"], 0) + row["count"]
        elder += row["count"] if row["age_band"] == "60+" else 0
    return {
        "total": count_events(services.engine),
        "since": since,
        "site": site,
        "counted": sum(by_verdict.values()),
        "elder": elder,
        "by_verdict": by_verdict,
        "counts": counts,
    }
