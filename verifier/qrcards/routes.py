"""``GET /v1/trustlist`` (kiosk): the ``[qr] trust_list`` file signed with the risk-list key.

Kiosks fetch it with each risk-list sync and send ``If-None-Match`` with the ETag of the list
they hold: an unchanged list is a 304 without a body. 404 when no trust list is configured here
(kiosks keep what they have); 503 naming the fix when the file or the key is unusable.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Header, Response
from starlette.concurrency import run_in_threadpool

from verifier.api.deps import KioskAuth, ServicesDep
from verifier.api.problems import problem
from verifier.qrcards.trustlist import TrustListUnavailable
from verifier.timeutil import iso, utcnow

router = APIRouter(tags=["kiosk"])
log = logging.getLogger("verifier.qrcards")
MEDIA_TYPE = "application/vnd.yzt.trustlist"


@router.get(
    "/v1/trustlist",
    summary="Signed health-certificate trust list",
    response_class=Response,
    responses={
        200: {"content": {MEDIA_TYPE: {}}},
        304: {"description": "The list the kiosk holds (If-None-Match) is current"},
        404: {"description": "No [qr] trust_list configured on this verifier"},
        503: {"description": "The file cannot be read or used, or there is no key to sign it"},
    },
)
async def get_trustlist(
    token: KioskAuth,
    services: ServicesDep,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    server = services.trust_list
    if server is None:
        return problem(404, "no trust list here: set [qr] trust_list in the verifier config")
    try:
        signed = await run_in_threadpool(server.current)
    except TrustListUnavailable as exc:
        log.warning("trust list not served: %s", exc)
        return problem(503, str(exc))
    headers = {
        "ETag": signed.etag,
        "Cache-Control": "no-store",
        "X-Server-Time": iso(utcnow()),
    }
    if if_none_match == signed.etag:
        return Response(status_code=304, headers=headers)
    return Response(signed.body, media_type=MEDIA_TYPE, headers=headers)
