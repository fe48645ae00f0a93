"""The API contract: ``/openapi.json`` describes every answer ``yzt verifier serve`` gives.

schemathesis generates requests from the served document — valid ones and invalid ones — for
every operation, sends each with every role's credentials (none, an unknown token, kiosk, feeder,
staff, admin) to a real server on loopback, and checks every answer: never a 5xx, and its status,
content type, headers and body as the document says. ``YZT_API_EXAMPLES`` sets the examples per
operation (default 200); ``make fuzz`` runs many more.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from conftest import in_ci
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from verifier_helpers import id_numbers, serving, write_config

from verifier.api.openapi import ROLES as TAG_ROLES
from verifier.config import load_config
from verifier.risklist.build import publish
from verifier.risklist.keys import init_keys, load_signing_key
from verifier.store import open_store
from verifier.store.tokens import add_token

EXAMPLES = int(os.environ.get("YZT_API_EXAMPLES", "200"))
ROLES = ("none", "unknown", "kiosk", "feeder", "staff", "admin")
KIOSK = {"site": "hospital-a", "kiosk_id": "lane-1"}
FILL = {**KIOSK, "id_number": id_numbers(1)[0]}
"""Values the document cannot express — the kiosk token's own kiosk and site, an ID number with a
valid check digit (synthetic), an event time within the server's clock window — written into most
generated bodies wherever they name such a field, so that requests get past those checks to the
handlers."""
BODY_LIMIT = 16_384
FEED_BODY_LIMIT = 1_048_576
LIMITS = {
    # Rate limits far above what the test sends: a 429 is documented, but a run of them would
    # hide every other answer.
    "rate_per_s": "1000000.0",
    "burst": "1000000",
    "auth_failures_per_min": "1000000.0",
    "auth_failure_burst": "1000000",
    "body_bytes": str(BODY_LIMIT),
    "feed_body_bytes": str(FEED_BODY_LIMIT),
}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
"""Everything the document promises about an answer; nothing about how long it took."""
schemathesis.serializer.alias("application/x-ndjson", "text/plain")  # a feed file is text


@dataclass(frozen=True)
class Live:
    """A serving verifier, the operations of its document and a credential per role."""

    url: str
    operations: list[APIOperation]
    tokens: dict[str, str]
    session: requests.Session

    def headers(self, role: str) -> dict[str, str]:
        if role == "none":
            return {}
        return {"Authorization": f"Bearer {self.tokens[role]}"}


def with_limits(config: Path) -> None:
    """Set ``LIMITS`` in the config's ``[limits]`` table (the keys this version has)."""
    text = config.read_text(encoding="utf-8")
    for key, value in LIMITS.items():
        text = re.sub(rf"(?m)^{key} = .*$", f"{key} = {value}", text)
    config.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """``yzt verifier serve`` on SQLite with a signing key and a published risk list."""
    data = tmp_path_factory.mktemp("contract")
    config_path = write_config(data, f"sqlite:///{data / 'verifier.db'}")
    with_limits(config_path)
    config = load_config(config_path)
    init_keys(config)
    engine = open_store(config.database_url())
    tokens = {
        role: add_token(engine, name=f"contract-{role}", role=role)
        for role in ("feeder", "staff", "admin")
    }
    tokens["kiosk"] = add_token(engine, name="contract-kiosk", role="kiosk", **KIOSK)
    tokens["unknown"] = secrets.token_urlsafe(32)
    publish(engine, load_signing_key(config))
    engine.dispose()
    with serving(config_path, data / "serve.log") as url, requests.Session() as session:
        schema = schemathesis.openapi.from_url(f"{url}/openapi.json", config=schemathesis.Config())
        # an operation whose definition schemathesis cannot read fails here
        operations = [result.ok() for result in schema.get_all_operations()]
        yield Live(url, operations, tokens, session)


def requests_for(operation: APIOperation) -> st.SearchStrategy[Case]:
    """Requests the document allows, its examples, and where there is input to break, requests
    it refuses."""
    cases = operation.as_strategy(generation_mode=GenerationMode.POSITIVE)
    examples = operation.schema.get_strategies_from_examples(operation)
    if examples:
        cases |= st.one_of(examples)
    takes_input = [operation.path_parameters, operation.query, operation.headers, operation.body]
    if any(len(part) for part in takes_input):
        cases |= operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)
    return cases


def fill(body: Any) -> None:
    """Write ``FILL``'s values, and the time now as an event's ``at``, wherever ``body`` names
    such a field."""
    values = {**FILL, "at": datetime.now(UTC).isoformat()}

    def write(node: Any) -> None:
        if isinstance(node, dict):
            node.update({key: value for key, value in values.items() if key in node})
            for value in node.values():
                write(value)
        elif isinstance(node, list):
            for value in node:
                write(value)

    write(body)


def admitted(operation: APIOperation) -> tuple[str, ...]:
    """The roles ``operation`` lets through (its role tag); every role for an open one."""
    tags = operation.definition.raw.get("tags", [])
    roles = tuple(role for tag in tags for role in TAG_ROLES.get(tag, ()))
    return roles or ROLES


SETTINGS = settings(
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=in_ci(),
    database=None,
)
"""Timing decides nothing; under CI the same inputs every run."""


def exercise(operation: APIOperation, live: Live) -> None:
    """``EXAMPLES`` generated requests, half or more with a role the operation admits, the rest
    with any credentials; every answer checked."""

    @settings(SETTINGS, max_examples=EXAMPLES)
    @given(
        case=requests_for(operation),
        role=st.sampled_from(admitted(operation)) | st.sampled_from(ROLES),
        as_generated=st.sampled_from((False, False, True)),
    )
    def send(case: Case, role: str, as_generated: bool) -> None:
        if not as_generated:
            fill(case.body)
        case.call_and_validate(session=live.session, headers=live.headers(role), checks=CHECKS)

    send()


@pytest.mark.timeout(120 + 3 * EXAMPLES)
def test_every_answer_is_documented(live: Live, subtests: pytest.Subtests) -> None:
    for operation in live.operations:
        with subtests.test(operation.label):
            exercise(operation, live)


def oversized(media_type: str) -> Any:
    """A body of ``media_type`` over both body limits."""
    padding = "x" * (FEED_BODY_LIMIT + 1)
    return {"padding": padding} if media_type.endswith("json") else padding


def send_oversized(operation: APIOperation, live: Live) -> None:
    """A few requests the operation admits, each with an oversized body: a documented 413."""
    role = admitted(operation)[0]

    @settings(SETTINGS, max_examples=3)
    @given(case=operation.as_strategy())
    def send(case: Case) -> None:
        case.body = oversized(case.media_type or "application/json")
        response = case.call_and_validate(
            session=live.session, headers=live.headers(role), checks=CHECKS
        )
        assert response.status_code == 413

    send()


def test_an_oversized_body_is_a_documented_413(live: Live, subtests: pytest.Subtests) -> None:
    with_body = [operation for operation in live.operations if len(operation.body)]
    assert with_body, "no operation of the document takes a body"
    for operation in with_body:
        with subtests.test(operation.label):
            send_oversized(operation, live)


NOT_UTF8 = b'{"site": "\xff"}'
"""JSON but for one byte: FastAPI's own body parsing answered such bodies with an undocumented
400 "There was an error parsing the body" (found by the generated requests)."""


def test_a_json_body_not_in_utf8_is_a_documented_422(live: Live, subtests: pytest.Subtests) -> None:
    json_bodies = [
        operation
        for operation in live.operations
        if any(body.media_type == "application/json" for body in operation.body)
    ]
    assert json_bodies, "no operation of the document takes JSON"
    for operation in json_bodies:
        with subtests.test(operation.label):
            case = operation.Case(body=NOT_UTF8, media_type="application/json")
            headers = live.headers(admitted(operation)[0])
            response = case.call_and_validate(session=live.session, headers=headers, checks=CHECKS)
            assert response.status_code == 422
            assert response.json()["detail"].startswith("body")
