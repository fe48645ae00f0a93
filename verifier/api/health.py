"""``/healthz`` (process up), ``/readyz`` (store reachable), ``/metrics`` — open to scrapers and
load balancers, and holding nothing about any person. ``/healthz`` carries ``X-Server-Time``, as
the risk list does, so ``yzt doctor`` measures clock drift to the microsecond, as the kiosk does."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool

from verifier.api.deps import ServicesDep
from verifier.api.problems import problem
from verifier.store import StoreError, ping
from verifier.timeutil import iso, utcnow

router = APIRouter(tags=["ops"])


@router.get("/healthz", summary="The process answers")
async def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"}, headers={"X-Server-Time": iso(utcnow())})


@router.get(
    "/readyz", summary="The store answers", responses={503: {"description": "The store does not"}}
)
async def readyz(services: ServicesDep) -> JSONResponse:
    """Ready when the primary answers; with the primary down but a current replica of
    ``[store] read_urls`` serving verify, still ready for kiosks (``reads only``: imports and
    uploads wait for the primary) — a load balancer must not take away the verifies a standby
    keeps answering."""
    try:
        await run_in_threadpool(ping, services.engine)
    except StoreError as exc:
        reads = services.pg_facts
        if reads is None or not any(r.state(reads.lag_max_s) == "current" for r in reads.replicas):
            return problem(503, str(exc))
        return JSONResponse({"status": "reads only", "detail": str(exc)})
    return JSONResponse({"status": "ready"})


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
async def metrics(services: ServicesDep) -> Response:
    """In a thread: the fleet gauges query the store (verifier/fleet/metrics.py)."""
    body = await run_in_threadpool(generate_latest, services.metrics.registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
