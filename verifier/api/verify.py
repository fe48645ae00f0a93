"""``POST /v1/verify`` (kiosk): the four checks and the verdict for one subject.

The hot path of the service, so it skips three pieces of FastAPI machinery that cost more than
the verifier's own work (measured in benchmarks/bench_verify.py, docs/performance.md): the role
check is awaited, not solved as a dependency; the body is parsed and validated by pydantic-core
in one step from the raw bytes; the answer is rendered by pydantic-core. The role check still
comes first, and errors read as on every other endpoint."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from pydantic_core import to_json

from verifier.api.deps import Services, check_site, require
from verifier.api.models import VerifyRequest
from verifier.checks import CardSeen, PersonSeen, data_ages, evaluate, travel_since
from verifier.store import StoreError
from verifier.store.tokens import TokenInfo
from verifier.timeutil import iso, utcnow

router = APIRouter(tags=["kiosk"])
kiosk_only = require("kiosk")


class FastJSONResponse(JSONResponse):
    """The same compact UTF-8 JSON as ``JSONResponse``, rendered by pydantic-core (Rust)."""

    def render(self, content: Any) -> bytes:
        return to_json(content)


def _inlined_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema with its nested models inlined: an operation's own schema has no
    place for ``$defs``, and the body is not declared to FastAPI (which would list them)."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            inlined = {key: inline(value) for key, value in node.items() if key != "$ref"}
            if "$ref" in node:
                return {**inline(defs[node["$ref"].rsplit("/", 1)[-1]]), **inlined}
            return inlined
        if isinstance(node, list):
            return [inline(value) for value in node]
        return node

    return inline(schema)


async def _body(request: Request) -> VerifyRequest:
    """The JSON body as a VerifyRequest; a 422 naming the fields (never their values) as
    FastAPI's own body parsing would."""
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != "application/json":
        raise RequestValidationError(
            [{"loc": ("body",), "msg": "expected Content-Type: application/json"}]
        )
    try:
        return VerifyRequest.model_validate_json(await request.body())
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False, include_context=False)
        raise RequestValidationError(
            [{**error, "loc": ("body", *error["loc"])} for error in errors]
        ) from None


@router.post(
    "/v1/verify",
    summary="Verdict for one card tap",
    response_class=FastJSONResponse,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _inlined_schema(VerifyRequest)}},
        }
    },
)
async def verify(request: Request) -> FastJSONResponse:
    """Person, card, code and travel checks under the site's profile; nothing is stored (the
    kiosk reports the verdict through /v1/events). The one indexed read runs on the event loop
    (a thread-pool hop costs more than the read): on SQLite over one connection (~0.05 ms), on
    PostgreSQL through the async pool, with a 503 when the store cannot answer in time (the kiosk
    then decides offline). Services come from the app state."""
    token = await kiosk_only(request)
    body = await _body(request)
    return FastJSONResponse(await decide(request.app.state.services, token, body))


async def decide(services: Services, token: TokenInfo, body: VerifyRequest) -> dict[str, Any]:
    """The answer to one admitted kiosk's ``body``: 403 for another site's, 503 when the store
    cannot answer in time. Shared by the route and the fast path (verifier/api/verify_fast.py)."""
    check_site(token, body.site)
    profile = services.profile_for(body.site)
    now = utcnow()
    since = travel_since(profile, now.date())
    if services.sqlite_facts is not None:
        facts = services.sqlite_facts.read(body.subject, travel_since=since)
    else:
        assert services.pg_facts is not None  # build_services sets one reader per store
        try:
            facts = await services.pg_facts.read(body.subject, travel_since=since)
        except StoreError as exc:
            raise HTTPException(503, f"{exc}; the kiosk decides offline") from None
    card = CardSeen(body.card.valid_from, body.card.valid_until, body.card.id_number_valid)
    person = (
        None if body.person is None else PersonSeen(body.person.outcome, list(body.person.reasons))
    )
    verdict, reasons, checks = evaluate(facts, profile, now=now, card=card, person=person)
    services.metrics.verdicts.labels(body.site, verdict).inc()
    return {
        "event_id": body.event_id,
        "verdict": verdict,
        "reasons": reasons,
        "checks": {name: check.as_json() for name, check in checks.items()},
        "source": "online",
        "data_age_s": data_ages(facts, now),
        "policy": profile.name,
        "server_time": iso(now),
    }
