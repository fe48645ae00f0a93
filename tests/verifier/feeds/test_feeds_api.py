"""``PUT /v1/feeds/{kind}`` against a real ``yzt verifier serve``: hostile files give 200 with the
rejected rows by line and field (the good rows stored) or one 422 problem, never a 500; the
Content-Type contract; and an OpenAPI document that lets a schema-driven tester reach the import.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hostile_feeds import CODES, Hostile, T, cases
from sqlalchemy import Engine, select
from store_faults import REFUSED, refusing
from verifier_helpers import PEPPER, Api, id_numbers, serving, write_config

from verifier.config import VerifierConfig
from verifier.store import open_store
from verifier.store.schema import health_codes, travel
from verifier.store.tokens import add_token
from verifier.subjects import subject_of

pytest_plugins = ("verifier_fixtures",)
CASES = cases()
PROBLEM = "application/problem+json"


class Server:
    def __init__(self, url: str, engine: Engine, feeder: str, staff: str) -> None:
        self.url = url
        self.engine = engine
        self.auth = {"Authorization": f"Bearer {feeder}"}
        self.staff = {"Authorization": f"Bearer {staff}"}

    def put(self, kind: str, body: bytes, content_type: str | None = None, **kw: Any) -> Any:
        headers = {**self.auth, **({"Content-Type": content_type} if content_type else {})}
        headers.update(kw.pop("headers", {}))
        return httpx.put(f"{self.url}/v1/feeds/{kind}", content=body, headers=headers, timeout=60)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("api-store")
    url = f"sqlite:///{data / 'verifier.db'}"
    config = write_config(data, url)
    engine = open_store(url)
    feeder = add_token(engine, name="feeds", role="feeder")
    staff = add_token(engine, name="desk", role="staff")
    with serving(config, data / "serve.log") as base:
        yield Server(base, engine, feeder, staff)
    engine.dispose()


def stored(engine: Engine, kind: str, numbers: list[str]) -> set[str]:
    table = travel if kind == "travel" else health_codes
    mine = {subject_of(PEPPER, n): n for n in numbers}
    with engine.connect() as conn:
        found = conn.execute(select(table.c.subject).where(table.c.subject.in_(mine))).scalars()
        return {mine[s] for s in found}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_hostile_file_gives_rejected_rows_or_a_422(case: Hostile, server: Server) -> None:
    answer = server.put(case.kind, case.body, case.content_type)
    assert all(n not in answer.text for n in case.secrets)
    if case.unusable is not None:
        assert answer.status_code == 422 and answer.headers["content-type"] == PROBLEM
        assert case.unusable in answer.json()["detail"]
        assert stored(server.engine, case.kind, case.secrets) == set()
        return
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert [(e["row"], e["field"]) for e in report["errors"]] == case.rejected
    assert report["accepted"] == len(case.good) and report["unusable"] is None
    assert stored(server.engine, case.kind, case.secrets) == set(case.good)


def test_the_content_type_names_the_format_else_the_first_line_does(server: Server) -> None:
    a, b, c = id_numbers(3, seed=71)
    csv = f"{CODES}\n{a},green,ok,{T},3\n".encode()
    ndjson = ('{"id_number": "' + b + '", "color": "red", "updated_at": "' + T + '"}\n').encode()
    for body, declared in [(csv, "text/csv; charset=utf-8"), (ndjson, "application/x-ndjson")]:
        assert server.put("codes", body, declared).status_code == 200
    # curl --data-binary sends a form type; no type at all is the same: told by the first line
    sniffed = f"{CODES}\n{c},green,ok,{T},3\n".encode()
    assert server.put("codes", sniffed, "application/x-www-form-urlencoded").json()["accepted"] == 1
    assert stored(server.engine, "codes", [a, b, c]) == {a, b, c}
    wrong = [
        (ndjson, "text/csv", "line 1: a JSON object, but the file was sent as CSV"),
        (csv, "application/x-ndjson", "line 1: not a JSON object, but the file was sent as NDJSON"),
        (csv, "text/csv; charset=gbk", "Content-Type: charset must be utf-8"),
    ]
    for body, declared, detail in wrong:
        answer = server.put("codes", body, declared)
        assert answer.status_code == 422 and answer.json()["detail"] == detail
        assert answer.headers["content-type"] == PROBLEM


def test_only_feeder_tokens_reach_the_importer(server: Server) -> None:
    body = f"{CODES}\n".encode()
    assert server.put("codes", body, headers={"Authorization": ""}).status_code == 401
    assert server.put("codes", body, headers=server.staff).status_code == 403
    assert server.put("vaccines", body, "text/csv").status_code == 422


def test_the_openapi_document_declares_the_body_and_every_answer(server: Server) -> None:
    document = httpx.get(f"{server.url}/openapi.json", timeout=30).json()
    operation = document["paths"]["/v1/feeds/{kind}"]["put"]
    body = operation["requestBody"]
    assert body["required"] is True
    assert set(body["content"]) == {"text/csv", "application/x-ndjson"}
    answers = operation["responses"]
    assert {"200", "401", "403", "413", "422", "429"} <= set(answers)
    for status in ("401", "403", "413", "422", "429"):
        assert set(answers[status]["content"]) == {PROBLEM}
    report = answers["200"]["content"]["application/json"]["schema"]
    assert report == {"$ref": "#/components/schemas/FeedReport"}
    fields = document["components"]["schemas"]["FeedReport"]["properties"]
    assert set(fields) == {
        "kind",
        "accepted",
        "rejected",
        "changed",
        "errors",
        "errors_listed",
        "unusable",
    }
    # the documented examples are feeds the importer takes
    for media, content in body["content"].items():
        answer = server.put("codes", content["example"].encode(), media)
        assert answer.status_code == 200 and answer.json()["rejected"] == 0, answer.text


@pytest.fixture
def small_feed_limit(config: VerifierConfig) -> None:
    config.limits.feed_body_bytes = 1024


async def test_a_body_over_the_feed_limit_is_a_413_problem(
    small_feed_limit: None, api: Api
) -> None:
    body = f"{CODES}\n".encode() + b"x" * 2048
    answer = await api.client.put("/v1/feeds/codes", content=body, headers=api.auth("feeder"))
    assert answer.status_code == 413 and answer.headers["content-type"] == PROBLEM


async def test_a_store_failure_mid_import_is_a_503_that_says_what_is_stored(api: Api) -> None:
    numbers = id_numbers(3, seed=73)
    rows = [f"{n},red,{r},{T},3" for n, r in zip(numbers, ["ok", "refuse", "ok"], strict=True)]
    body = f"{CODES}\n".encode() + "\n".join(rows).encode() + b"\n"
    with refusing(api.engine):
        answer = await api.client.put(
            "/v1/feeds/codes",
            content=body,
            headers={**api.auth("feeder"), "Content-Type": "text/csv"},
        )
    assert answer.status_code == 503 and answer.headers["content-type"] == PROBLEM
    detail = answer.json()["detail"]
    assert REFUSED in detail and "the 0 rows before it are stored" in detail
    assert all(n not in answer.text for n in numbers)
    assert stored(api.engine, "codes", numbers) == set()
