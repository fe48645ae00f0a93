"""``PUT /v1/feeds/{kind}`` (feeder): the same import as the CLI, over HTTP, followed by a new
risk-list version when this host holds the signing key. The body is spooled to a temporary file
as it arrives (bounded by ``limits.feed_body_bytes``), never held whole.

The format is the Content-Type's: ``text/csv`` or ``application/x-ndjson``; any other (curl's
``--data-binary`` sends a form type) or none leaves it to the first line, as the CLI does."""

from __future__ import annotations

import tempfile
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from verifier.api.deps import FeederAuth, ServicesDep
from verifier.api.problems import problem
from verifier.feeds import import_feed
from verifier.feeds.source import Format
from verifier.store import StoreError

router = APIRouter(tags=["feeder"])
SPOOL_IN_MEMORY = 8 * 1024 * 1024
FORMATS: dict[str, Format] = {"text/csv": "csv", "application/x-ndjson": "ndjson"}
CHARSETS = frozenset({"utf-8", "utf8", "us-ascii"})
CSV_EXAMPLE = "subject,color,reason,updated_at\n" + "0" * 64 + ",green,,2026-11-01T08:00:00+08:00\n"
NDJSON_EXAMPLE = (
    '{"subject": "' + "0" * 64 + '", "color": "red", "updated_at": "2026-11-01T00:00:00Z"}\n'
)


class RejectedRow(BaseModel):
    row: int = Field(description="the line in the file (a CSV header is line 1)")
    field: str = Field(description="the column, or `row` for the line as a whole")
    reason: str = Field(description="what was expected; never the value sent")


class FeedReport(BaseModel):
    """What the import did; accepted rows are committed even when others were rejected."""

    kind: Literal["codes", "travel", "cards"]
    accepted: int = Field(ge=0)
    rejected: int = Field(ge=0)
    changed: int = Field(ge=0, description="accepted rows newer than what was stored")
    errors: list[RejectedRow] = Field(description="the first 1000 rejected rows")
    errors_listed: int = Field(ge=0)
    unusable: None = Field(description="always null here: an unusable file is a 422")


def _format(content_type: str) -> Format | None:
    """The format the Content-Type names (None: told by the first line); 422 for a charset
    other than UTF-8 (a GBK export would fail row by row)."""
    media, *params = (part.strip().lower() for part in content_type.split(";"))
    for param in params:
        name, _, value = param.partition("=")
        if name.strip() == "charset" and value.strip().strip('"') not in CHARSETS:
            raise HTTPException(422, "Content-Type: charset must be utf-8")
    return FORMATS.get(media)


_BODY = {"schema": {"type": "string"}}


@router.put(
    "/v1/feeds/{kind}",
    summary="Import a feed (CSV with a header row, or NDJSON)",
    response_model=FeedReport,
    responses={
        200: {"description": "Imported; rejected rows are listed"},
        422: {
            "description": "The file as a whole is unusable (empty, compressed, not UTF-8, "
            "unknown or missing columns, a charset other than UTF-8), or an unknown kind."
        },
        503: {
            "description": "The store failed mid-import: the detail says how many rows are "
            "stored; sending the file again is safe (stored rows stay as they are)."
        },
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The feed file, UTF-8. `text/csv`: a header row, then one row per "
            "line. `application/x-ndjson`: one JSON object per line. Another or no "
            "Content-Type: told by the first line (`{` starts NDJSON).",
            "content": {
                "text/csv": {**_BODY, "example": CSV_EXAMPLE},
                "application/x-ndjson": {**_BODY, "example": NDJSON_EXAMPLE},
            },
        }
    },
)
async def put_feed(
    kind: Literal["codes", "travel", "cards"],
    request: Request,
    _token: FeederAuth,
    services: ServicesDep,
) -> Any:
    """The report lists rejected rows (line, field, reason); accepted rows are committed."""
    fmt = _format(request.headers.get("content-type", ""))
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
        async for chunk in request.stream():
            spool.write(chunk)
        spool.seek(0)
        try:
            report = await run_in_threadpool(
                import_feed,
                services.engine,
                services.pepper,
                kind,
                spool,
                fmt=fmt,
                publisher=services.publisher,
            )
        except StoreError as exc:  # says how far it got; sending the file again is safe
            return problem(503, str(exc))
    services.metrics.feed_rows.labels(kind, "accepted").inc(report.accepted)
    services.metrics.feed_rows.labels(kind, "rejected").inc(report.rejected)
    if report.unusable is not None:
        return problem(422, report.unusable)
    return JSONResponse(report.as_json())
