"""``POST /v1/lookup`` (staff): the support desk's "why was I stopped?" over HTTP — the same
answer as ``yzt verifier lookup`` (verifier/lookup.py). The ID number travels in the body, never
in a path or query string (those reach proxies' and servers' logs), and no answer or log line
repeats it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field

from verifier.api.deps import ServicesDep, StaffAuth, check_site
from verifier.lookup import NotAnIdNumber, answer

router = APIRouter(tags=["staff"])


class LookupRequest(BaseModel):
    """One person at one site."""

    model_config = ConfigDict(extra="forbid")

    id_number: str = Field(
        min_length=1, max_length=32, description="the card's number (15 or 18 characters)"
    )
    site: str = Field(min_length=1, max_length=64, description="judge under this site's profile")


@router.post("/v1/lookup", summary="Support desk: the verdict and checks for one ID number")
def lookup(body: LookupRequest, token: StaffAuth, services: ServicesDep) -> dict[str, Any]:
    """As a kiosk at ``site`` would judge this person today, with no card in hand (only the
    lost/stolen feed counts for the card check). A site-bound staff token looks up at its own
    site only. A number that is not one is a 422 naming ``body.id_number`` and why."""
    check_site(token, body.site)
    profile = services.profile_for(body.site)
    try:
        return answer(
            services.engine, services.pepper, profile, site=body.site, id_number=body.id_number
        )
    except NotAnIdNumber as exc:
        raise RequestValidationError(
            [{"loc": ("body", "id_number"), "msg": exc.reason, "type": "value_error"}]
        ) from None
