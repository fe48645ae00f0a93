"""``/openapi.json`` as the service really answers: FastAPI's document, completed once for every
route. Every error answer is problem details (``application/problem+json``, see
verifier/api/problems.py) — FastAPI's own 422 schema (``HTTPValidationError``) is not what is
sent. Operations tagged with a role check tokens, so they list the bearer scheme and 401/403/429;
operations that take input list 413 and 422; any may answer 503 (the connection cap of
verifier/server.py). A route declares only what is its own (a CSV answer, its 404).
tests/verifier/test_api_contract.py holds the live service to this document."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from verifier.api.problems import MEDIA_TYPE, Problem

ROLES = {"kiosk": ("kiosk",), "staff": ("staff", "admin"), "feeder": ("feeder", "admin")}
"""Operation tag → the token roles admitted; an operation tagged ``ops`` is open."""
TAGS = [
    {"name": "kiosk", "description": "Kiosk tokens: each bound to one kiosk id and site."},
    {"name": "staff", "description": "Staff and admin tokens; a site-bound token sees its site."},
    {"name": "feeder", "description": "Feeder and admin tokens: data providers' imports."},
    {"name": "ops", "description": "Open: load balancers, probes and Prometheus."},
]
BEARER = {
    "type": "http",
    "scheme": "bearer",
    "description": "A token from `yzt verifier token add`, sent as `Authorization: Bearer TOKEN`.",
}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
FASTAPI_422 = "Validation Error"
INVALID = (
    "The request does not match this document: `detail` names the field and what was expected, "
    "never the value sent."
)
TOO_LARGE = "The body is over the configured limit (`[limits]`); nothing was read past it."
SECONDS = {"type": "integer", "minimum": 0}


def _header(description: str, schema: dict[str, Any], *, required: bool) -> dict[str, Any]:
    return {"description": description, "required": required, "schema": schema}


def _auth_answers(roles: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """What the role check (verifier/api/deps.py) answers besides letting through."""
    return {
        "401": {
            "description": "No token, or an unknown or revoked one.",
            "headers": {"WWW-Authenticate": _header("`Bearer`", {"type": "string"}, required=True)},
        },
        "403": {
            "description": f"A token of another role (admitted: {', '.join(roles)}), or one bound "
            "to another site or kiosk than the request names.",
        },
        "429": {
            "description": "Over the token's request rate, or too many failed authentications "
            "from this address; retry after `Retry-After` seconds.",
            "headers": {"Retry-After": _header("seconds to wait", SECONDS, required=True)},
        },
    }


def _unavailable() -> dict[str, Any]:
    return {
        "description": "Not now: the server is at its connection limit (`[server] "
        "max_connections`) or the store did not answer in time; retry after `Retry-After` "
        "seconds when it is sent.",
        "headers": {"Retry-After": _header("seconds to wait", SECONDS, required=False)},
    }


def _complete_operation(operation: dict[str, Any]) -> None:
    responses: dict[str, dict[str, Any]] = operation["responses"]
    for tag in operation.get("tags", ()):
        if tag in ROLES:
            operation["security"] = [{"bearer": []}]
            for status, answer in _auth_answers(ROLES[tag]).items():
                responses.setdefault(status, answer)
    if "requestBody" in operation:
        responses.setdefault("413", {"description": TOO_LARGE})
    if "requestBody" in operation or operation.get("parameters"):
        responses.setdefault("422", {"description": INVALID})
    responses.setdefault("503", _unavailable())
    for status, answer in responses.items():
        if status.startswith(("4", "5")):
            if answer.get("description") == FASTAPI_422:
                answer["description"] = INVALID
            answer["content"] = {MEDIA_TYPE: {"schema": dict(PROBLEM_REF)}}
    operation["responses"] = dict(sorted(responses.items()))


def complete(schema: dict[str, Any]) -> dict[str, Any]:
    """FastAPI's generated ``schema``, completed in place (and returned)."""
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    schemas["Problem"] = Problem.model_json_schema()
    components["securitySchemes"] = {"bearer": BEARER}
    for operations in schema["paths"].values():
        for operation in operations.values():
            _complete_operation(operation)
    return schema


def install(app: FastAPI) -> None:
    """Serve the completed document as ``app``'s OpenAPI (built on first use, then kept)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            generated = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
                tags=TAGS,
            )
            app.openapi_schema = complete(generated)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
