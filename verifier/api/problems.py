"""RFC 9457 problem details for every error; validation errors name the field, never echo input
(an input could be an ID number), and unexpected errors never show a stack trace."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException

from verifier.logs import request_label
from verifier.store.engine import StoreError

log = logging.getLogger("verifier")
MEDIA_TYPE = "application/problem+json"


class Problem(BaseModel):
    """The body of every error answer; /openapi.json gives it as their schema
    (verifier/api/openapi.py), so clients and the contract test read errors one way."""

    type: Literal["about:blank"] = Field(description="the status says what kind of error")
    title: str = Field(description="the status's phrase, e.g. Unprocessable Content")
    status: int = Field(ge=400, le=599, description="the HTTP status, repeated")
    detail: str = Field(description="what was wrong, naming the field: never the value sent")


def problem(status: int, detail: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """A problem-details response."""
    body = Problem(
        type="about:blank", title=HTTPStatus(status).phrase, status=status, detail=detail
    )
    return JSONResponse(
        body.model_dump(), status_code=status, headers=headers, media_type=MEDIA_TYPE
    )


def field_errors(exc: RequestValidationError) -> str:
    """``body.card.valid_until: Input should be a valid date`` — location and message only."""
    parts = []
    for error in exc.errors()[:5]:
        where = ".".join(str(p) for p in error.get("loc", ()))
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts)


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(HTTPException)
    async def http_error(_request: Request, exc: HTTPException) -> JSONResponse:
        cause = exc.__cause__
        if isinstance(cause, UnicodeDecodeError):
            # FastAPI's 400 "error parsing the body": a JSON body in no Unicode encoding is as
            # invalid as malformed JSON (422), and the answer names the byte
            return problem(422, f"body: expected UTF-8 JSON; byte {cause.start} is not UTF-8")
        return problem(exc.status_code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem(422, field_errors(exc))

    @app.exception_handler(StoreError)
    @app.exception_handler(OperationalError)
    async def store_down(request: Request, exc: Exception) -> JSONResponse:
        # the database is gone or full (a restart, fail-over, every connection busy): the
        # kiosk then decides offline; a 500 would read as a bug in the verifier
        log.warning("%s: store unavailable: %s", request_label(request.scope), type(exc).__name__)
        return problem(503, "store unreachable; try again shortly", {"Retry-After": "1"})

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        # the route template, not the path: a path or query may carry an ID number
        log.error("%s failed: %s", request_label(request.scope), type(exc).__name__)
        return problem(500, "internal error; the operator's log names the failing step")
