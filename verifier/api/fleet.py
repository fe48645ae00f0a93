"""``POST /v1/heartbeat`` (kiosk) and ``GET /v1/fleet`` (staff): every kiosk's last status, with
the state and alerts the staff console shows (verifier/fleetstate.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query

from verifier.api.deps import (
    KioskAuth,
    Services,
    ServicesDep,
    StaffAuth,
    check_site,
    scoped_site,
)
from verifier.api.models import Heartbeat
from verifier.fleetstate import KioskState, State, assess_fleet, summarize
from verifier.store.heartbeats import last_heartbeats, record_heartbeat
from verifier.timeutil import iso, utcnow

router = APIRouter()


@dataclass(frozen=True)
class FleetView:
    """The fleet as one request sees it: kiosks after the filters, counts over the site."""

    server_time: datetime
    kiosks: list[KioskState]
    docs: dict[str, Any]
    summary: dict[str, int]
    sites: list[str]


def fleet_view(services: Services, *, site: str | None, state: State | None) -> FleetView:
    """Every kiosk assessed (the expected version is the whole fleet's), then filtered."""
    now = utcnow()
    rows = last_heartbeats(services.engine)
    everyone = assess_fleet(rows, now=now, config=services.config.fleet)
    at_site = [k for k in everyone if site is None or k.site == site]
    return FleetView(
        server_time=now,
        kiosks=[k for k in at_site if state is None or k.state == state],
        docs={row["kiosk_id"]: row["doc"] for row in rows},
        summary=summarize(at_site),
        sites=sorted({k.site for k in everyone}),
    )


@router.post("/v1/heartbeat", tags=["kiosk"], summary="A kiosk's status document")
def heartbeat(body: Heartbeat, token: KioskAuth, services: ServicesDep) -> dict[str, str]:
    """Stored as the kiosk's latest; the answer's ``server_time`` lets it measure clock drift."""
    check_site(token, body.site)
    now = utcnow()
    record_heartbeat(
        services.engine, kiosk_id=body.kiosk_id, site=body.site, doc=body.model_dump(), at=now
    )
    return {"server_time": iso(now)}


@router.get("/v1/fleet", tags=["staff"], summary="Every kiosk's last heartbeat, state and alerts")
def fleet(
    token: StaffAuth,
    services: ServicesDep,
    site: str | None = Query(None, max_length=64),
    state: State | None = Query(None, description="online | degraded | offline"),
) -> dict[str, Any]:
    """One entry per kiosk, worst first: its document, when it arrived, ``online``, ``state``
    and ``alerts``; ``summary`` counts the site's kiosks by state."""
    view = fleet_view(services, site=scoped_site(token, site), state=state)
    return {
        "server_time": iso(view.server_time),
        "summary": view.summary,
        "kiosks": [
            {
                "kiosk_id": k.kiosk_id,
                "site": k.site,
                "doc": view.docs[k.kiosk_id],
                "received_at": iso(k.received_at),
                "online": k.state != "offline",
                "state": k.state,
                "last_seen_s": round(k.last_seen_s, 1),
                "alerts": [a.as_json() for a in k.alerts],
            }
            for k in view.kiosks
        ],
    }
