"""Request bodies the verifier accepts (verifier/api/models.py, heartbeat.py, lookup.py): any
bytes give a model or a pydantic ``ValidationError``, read either way the service reads a body; a
body that is accepted can be stored and served (UTF-8 JSON that validates again to the same
model), and a stored one holds no ID number. Every JSON body the app declares is fuzzed here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fuzzing import JSON_VALUES, corpus, dumps, leaks_id_number, mutated_json
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError
from verifier_helpers import write_config

from verifier.api.lookup import LookupRequest
from verifier.api.models import EventBatch, VerifyRequest
from verifier.app import create_app
from verifier.config import load_config
from verifier.fleet.heartbeat import Heartbeat, read_status

MODELS: dict[str, type[BaseModel]] = {
    model.__name__: model for model in (VerifyRequest, EventBatch, Heartbeat, LookupRequest)
}
STORED = (EventBatch, Heartbeat)
"""Bodies whose content is written to the store and shown to staff."""
NAMES = sorted(MODELS)


def check_body(model: type[BaseModel], data: bytes) -> None:
    """Both ways a body is read: by pydantic's JSON parser (``/v1/verify``) and by FastAPI
    (``json.loads``, whose own failures FastAPI answers with 400/422, then validation)."""
    try:
        accepted = model.model_validate_json(data)
    except ValidationError:
        pass
    else:
        check_accepted(model, accepted)
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):
        return
    check_value(model, value)


def check_value(model: type[BaseModel], value: Any) -> None:
    try:
        accepted = model.model_validate(value)
    except ValidationError:
        return
    check_accepted(model, accepted)


def check_accepted(model: type[BaseModel], accepted: BaseModel) -> None:
    text = accepted.model_dump_json()
    json.dumps(accepted.model_dump(mode="json"), ensure_ascii=False).encode()
    assert model.model_validate_json(text.encode()) == accepted
    if model in STORED:
        assert not leaks_id_number(text), text


@pytest.mark.parametrize("data", [param for name in NAMES for param in corpus(f"models/{name}")])
def test_the_corpus_as_every_model(data: bytes) -> None:
    for model in MODELS.values():
        check_body(model, data)


@given(st.sampled_from(NAMES), st.binary(max_size=2000))
def test_arbitrary_bytes(name: str, data: bytes) -> None:
    check_body(MODELS[name], data)


@given(st.sampled_from(NAMES), st.data())
def test_bodies_with_a_value_changed(name: str, data: st.DataObject) -> None:
    text = data.draw(mutated_json(f"models/{name}"))
    check_body(MODELS[name], text.encode())


@given(st.sampled_from(NAMES), JSON_VALUES)
def test_any_json_value(name: str, value: Any) -> None:
    """Python values as ``json.loads`` gives them, NaN and lone surrogates included."""
    check_value(MODELS[name], value)
    check_body(MODELS[name], dumps(value).encode())


@given(st.data())
def test_stored_heartbeats_read_back_whatever_they_hold(data: st.DataObject) -> None:
    """A row stored before the heartbeat was typed is shown as far as it validates, never as an
    error page, and without an ID number."""
    text = data.draw(mutated_json("models/Heartbeat"))
    try:
        stored = json.loads(text)
    except (ValueError, RecursionError):
        return
    status = read_status(stored)
    assert not leaks_id_number(status.model_dump_json())


def test_every_json_request_body_of_the_app_is_fuzzed(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, f"sqlite:///{tmp_path / 'verifier.db'}"))
    app = create_app(config)
    try:
        operations = [op for path in app.openapi()["paths"].values() for op in path.values()]
    finally:
        app.state.services.engine.dispose()
    bodies = {
        (media.get("schema", {}).get("title") or media["schema"]["$ref"]).rsplit("/", 1)[-1]
        for op in operations
        for kind, media in op.get("requestBody", {}).get("content", {}).items()
        if kind == "application/json"
    }
    assert bodies == set(MODELS)
