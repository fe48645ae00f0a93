"""``PUT /v1/feeds/{kind}`` (feeder): the same import as the CLI, over HTTP, followed by a new
risk-list version when this host holds the signing key. The body is spooled to a temporary file
as it arrives (bounded by ``limits.feed_body_bytes``), never held whole."""

from __future__ import annotations

import tempfile
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from verifier.api.deps import FeederAuth, ServicesDep
from verifier.api.problems import problem
from verifier.feeds import import_feed

router = APIRouter(tags=["feeder"])
SPOOL_IN_MEMORY = 8 * 1024 * 1024


@router.put(
    "/v1/feeds/{kind}",
    summary="Import a feed (CSV with a header row, or NDJSON)",
    responses={422: {"description": "the file as a whole is unusable"}},
)
async def put_feed(
    kind: Literal["codes", "travel", "cards"],
    request: Request,
    _token: FeederAuth,
    services: ServicesDep,
) -> Any:
    """The report lists rejected rows (line, field, reason); accepted rows are committed."""
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
        async for chunk in request.stream():
            spool.write(chunk)
        spool.seek(0)
        report = await run_in_threadpool(
            import_feed,
            services.engine,
            services.pepper,
            kind,
            spool,
            publisher=services.publisher,
        )
    services.metrics.feed_rows.labels(kind, "accepted").inc(report.accepted)
    services.metrics.feed_rows.labels(kind, "rejected").inc(report.rejected)
    if report.unusable is not None:
        return problem(422, report.unusable)
    return JSONResponse(report.as_json())
