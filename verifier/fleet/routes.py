"""``POST /v1/heartbeat`` (kiosk) and ``GET /v1/fleet`` (staff): every kiosk's last status, with
the state and alerts the staff console shows (verifier/fleet/state.py).

A heartbeat is stored only when it names the token's own kiosk and site (``check_kiosk``), and
only as typed and redacted by verifier/fleet/heartbeat.py; the fleet serves stored documents read
back the same way, so a row stored before typing cannot break the answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from verifier.api.deps import (
    KioskAuth,
    Services,
    ServicesDep,
    StaffAuth,
    check_kiosk,
    scoped_site,
)
from verifier.fleet.alerts import AlertCode, Severity
from verifier.fleet.heartbeat import Heartbeat, served
from verifier.fleet.state import KioskState, State, assess_fleet, summarize
from verifier.store.heartbeats import last_heartbeats, record_heartbeat
from verifier.timeutil import iso, utcnow

router = APIRouter()


class HeartbeatAnswer(BaseModel):
    server_time: str


class Said(BaseModel):
    zh: str
    en: str


class AlertAnswer(BaseModel):
    code: AlertCode
    severity: Severity
    title: Said
    cause: Said
    action: Said


class Summary(BaseModel):
    total: int
    offline: int
    degraded: int
    online: int
    with_alerts: int


class FleetKiosk(BaseModel):
    kiosk_id: str
    site: str
    doc: Heartbeat
    received_at: str
    online: bool
    state: State
    last_seen_s: float
    alerts: list[AlertAnswer]


class FleetAnswer(BaseModel):
    server_time: str
    summary: Summary
    kiosks: list[FleetKiosk]


@dataclass(frozen=True)
class FleetView:
    """The fleet as one request sees it: kiosks after the filters, counts over the site."""

    server_time: datetime
    kiosks: list[KioskState]
    summary: dict[str, int]
    sites: list[str]


def fleet_view(services: Services, *, site: str | None, state: State | None) -> FleetView:
    """Every kiosk assessed (the expected version is the whole fleet's), then filtered."""
    now = utcnow()
    everyone = assess_fleet(last_heartbeats(services.engine), now=now, config=services.config.fleet)
    at_site = [k for k in everyone if site is None or k.site == site]
    return FleetView(
        server_time=now,
        kiosks=[k for k in at_site if state is None or k.state == state],
        summary=summarize(at_site),
        sites=sorted({k.site for k in everyone}),
    )


@router.post("/v1/heartbeat", tags=["kiosk"], summary="A kiosk's status document")
def heartbeat(body: Heartbeat, token: KioskAuth, services: ServicesDep) -> HeartbeatAnswer:
    """Stored as the kiosk's latest; the answer's ``server_time`` lets it measure clock drift.
    A body naming another kiosk or site than the token's is refused (403), nothing stored."""
    check_kiosk(services, token, [("", body.kiosk_id, body.site)])
    now = utcnow()
    doc = body.model_dump(mode="json", exclude_unset=True)
    record_heartbeat(services.engine, kiosk_id=body.kiosk_id, site=body.site, doc=doc, at=now)
    return HeartbeatAnswer(server_time=iso(now))


@router.get(
    "/v1/fleet",
    tags=["staff"],
    summary="Every kiosk's last heartbeat, state and alerts",
    response_model=FleetAnswer,
    response_model_exclude_unset=True,
)
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
                "doc": served(k.kiosk_id, k.site, k.status),
                "received_at": iso(k.received_at),
                "online": k.state != "offline",
                "state": k.state,
                "last_seen_s": round(k.last_seen_s, 1),
                "alerts": [a.as_json() for a in k.alerts],
            }
            for k in view.kiosks
        ],
    }
