"""``POST /v1/events`` (kiosk): verdict events, stored once per event id."""

from __future__ import annotations

from fastapi import APIRouter

from verifier.api.deps import KioskAuth, ServicesDep, check_site
from verifier.api.models import EventBatch
from verifier.store.events import record_events

router = APIRouter(tags=["kiosk"])


@router.post("/v1/events", summary="Upload verdict events (idempotent by event id)")
def post_events(body: EventBatch, token: KioskAuth, services: ServicesDep) -> dict[str, int]:
    """A kiosk's outbox batch; resending a batch stores nothing twice."""
    for event in body.events:
        check_site(token, event.site)
    accepted, duplicates = record_events(services.engine, [e.model_dump() for e in body.events])
    services.metrics.events.labels("accepted").inc(accepted)
    services.metrics.events.labels("duplicate").inc(duplicates)
    return {"accepted": accepted, "duplicates": duplicates}
