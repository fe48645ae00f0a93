"""``GET /v1/risklist?since=N`` (kiosk): signed snapshot or deltas, resumable with HTTP Range.

The body is one or more signed payloads back to back (docs/offline.md). The bytes for a given
``ETag`` never change, so a kiosk resumes a cut download with ``Range: bytes=K-`` and
``If-Range: <etag>``; if a newer version was published meanwhile it gets the whole new body (200).
Every answer carries ``X-Server-Time``, this verifier's clock: with the signed ``published_at`` it
gives the kiosk the list's age without trusting the kiosk's own clock.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response

from verifier.api.deps import KioskAuth, ServicesDep
from verifier.api.problems import problem
from verifier.risklist.payloads import Served, payload_for
from verifier.timeutil import iso, utcnow

router = APIRouter(tags=["kiosk"])
MEDIA_TYPE = "application/vnd.yzt.risklist"
RANGE = re.compile(r"^bytes=(\d+)-(\d*)$")


@router.get(
    "/v1/risklist",
    summary="Signed risk list: snapshot, or the deltas since a version",
    response_class=Response,
    responses={
        200: {"content": {MEDIA_TYPE: {}}},
        206: {"content": {MEDIA_TYPE: {}}},
        404: {"description": "Nothing published yet"},
        416: {"description": "The range does not start inside the body"},
        503: {"description": "Nothing published, and this verifier holds no signing key"},
    },
)
def get_risklist(
    token: KioskAuth,
    services: ServicesDep,
    since: Annotated[int, Query(ge=0, description="the kiosk's list version (0: none)")] = 0,
    range_: Annotated[str | None, Header(alias="range")] = None,
    if_range: Annotated[str | None, Header()] = None,
) -> Response:
    served = payload_for(services.engine, since)
    if served is None:
        return _not_published(services.publisher.key is None)
    if range_ is None or (if_range is not None and if_range != served.etag):
        return _answer(served, 200, served.body)
    match = RANGE.match(range_.strip())
    size = len(served.body)
    if match is None or int(match[1]) >= size:
        headers = {"Content-Range": f"bytes */{size}", "ETag": served.etag}
        return problem(416, f"range: expected bytes=K- with K below {size}", headers)
    start, end = int(match[1]), int(match[2] or size - 1)
    end = min(end, size - 1)
    answer = _answer(served, 206, served.body[start : end + 1])
    answer.headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return answer


def _not_published(no_key: bool) -> Response:
    """404 until the first publish; 503 when this host cannot publish at all (no key)."""
    if not no_key:
        return problem(404, "no risk list published yet: yzt verifier risklist publish")
    return problem(
        503,
        "no risk list published yet, and this verifier holds no signing key: run yzt verifier "
        "keys init --config VERIFIER.TOML and restart it, or publish from the host holding the key",
    )


def _answer(served: Served, status: int, body: bytes) -> Response:
    headers = {
        "ETag": served.etag,
        "Accept-Ranges": "bytes",
        "X-Risklist-Version": str(served.version),
        "X-Risklist-Kind": served.kind,
        "Cache-Control": "no-store",
        "X-Server-Time": iso(utcnow()),
    }
    return Response(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)
