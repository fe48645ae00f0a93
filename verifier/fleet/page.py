"""``GET /fleet``: every kiosk on one server-rendered page, worst first, reloading itself.

The same view as ``GET /v1/fleet`` (one query, states from verifier/fleet/state.py), under a line
per database replica when ``[store] read_urls`` names any (verifier/store/pg_reads.py); a plain
``<meta http-equiv=refresh>`` keeps it current without scripts, and keeps the filters because
they live in the query string.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from verifier.api.deps import Services, scoped_site
from verifier.console.auth import StaffPage
from verifier.console.templating import templates
from verifier.fleet.routes import fleet_view
from verifier.fleet.state import STATES, State
from verifier.timeutil import iso

router = APIRouter(include_in_schema=False)


@router.get("/fleet", response_class=HTMLResponse)
async def fleet_page(
    request: Request,
    staff: StaffPage,
    site: Annotated[str | None, Query(max_length=64)] = None,
    state: Annotated[str | None, Query(max_length=16)] = None,
) -> Response:
    """The fleet table; an empty or unknown filter value means "all"."""
    services: Services = request.app.state.services
    chosen: State | None = next((s for s in STATES if s == state), None)
    site = scoped_site(staff, site or None)
    view = await run_in_threadpool(fleet_view, services, site=site, state=chosen)
    context = {
        "page": "fleet",
        "signed_in": True,
        "kiosks": view.kiosks,
        "summary": view.summary,
        "sites": view.sites if staff.site is None else [staff.site],
        "site": site,
        "state": chosen,
        "refresh_s": services.config.fleet.refresh_s,
        "server_time": iso(view.server_time),
        "replicas": [] if services.pg_facts is None else services.pg_facts.replicas,
        "lag_max_s": services.config.store.replica_lag_max_s,
    }
    return templates.TemplateResponse(request, "fleet.html", context)
