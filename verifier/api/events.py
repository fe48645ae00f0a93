"""``POST /v1/events`` (kiosk): verdict events, stored once per event id."""

from __future__ import annotations

from fastapi import APIRouter

from verifier.api.clock import ClockWindow, check_instants
from verifier.api.deps import KioskAuth, ServicesDep, check_kiosk
from verifier.api.models import EventBatch
from verifier.store.events import record_events

router = APIRouter(tags=["kiosk"])


@router.post("/v1/events", summary="Upload verdict events (idempotent by event id)")
def post_events(body: EventBatch, token: KioskAuth, services: ServicesDep) -> dict[str, int]:
    """A kiosk's outbox batch; resending a batch stores nothing twice. Every event must name
    the token's own kiosk and site, or nothing is stored (403); every ``at`` must be within
    the server clock's window (verifier/api/clock.py), or nothing is stored (422)."""
    window = ClockWindow.of(services.config)
    check_instants(window, ((("body", "events", i, "at"), e.at) for i, e in enumerate(body.events)))
    claims = [(f"events[{i}].", e.kiosk_id, e.site) for i, e in enumerate(body.events)]
    check_kiosk(services, token, claims)
    accepted, duplicates = record_events(services.engine, [e.model_dump() for e in body.events])
    services.metrics.events.labels("accepted").inc(accepted)
    services.metrics.events.labels("duplicate").inc(duplicates)
    return {"accepted": accepted, "duplicates": duplicates}
