"""``POST /v1/heartbeat`` (kiosk) and ``GET /v1/fleet`` (staff): every kiosk's last status."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Query

from verifier.api.deps import KioskAuth, ServicesDep, StaffAuth, check_site
from verifier.api.models import Heartbeat
from verifier.store.heartbeats import last_heartbeats, record_heartbeat
from verifier.timeutil import iso, utcnow

router = APIRouter()
ONLINE_WITHIN = timedelta(minutes=2)


@router.post("/v1/heartbeat", tags=["kiosk"], summary="A kiosk's status document")
def heartbeat(body: Heartbeat, token: KioskAuth, services: ServicesDep) -> dict[str, str]:
    """Stored as the kiosk's latest; the answer's ``server_time`` lets it measure clock drift."""
    check_site(token, body.site)
    now = utcnow()
    record_heartbeat(
        services.engine, kiosk_id=body.kiosk_id, site=body.site, doc=body.model_dump(), at=now
    )
    return {"server_time": iso(now)}


@router.get("/v1/fleet", tags=["staff"], summary="Every kiosk's last heartbeat")
def fleet(
    _token: StaffAuth, services: ServicesDep, site: str | None = Query(None, max_length=64)
) -> dict[str, Any]:
    """One entry per kiosk: its document, when it arrived, and ``online`` (within 2 minutes)."""
    now = utcnow()
    kiosks = []
    for row in last_heartbeats(services.engine, site=site):
        online = now - row["received_at"] <= ONLINE_WITHIN
        kiosks.append({**row, "received_at": iso(row["received_at"]), "online": online})
    services.metrics.kiosks_online.set(sum(k["online"] for k in kiosks))
    return {"server_time": iso(now), "kiosks": kiosks}
