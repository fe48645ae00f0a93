"""The support desk's lookup, ``POST /v1/lookup`` and ``yzt verifier lookup``, on SQLite and
PostgreSQL: staff and admin only, the ID number in the body and never in an answer, one answer
for both ways in."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner
from verifier_helpers import Api, csv_body, id_numbers

from verifier.cli import app
from verifier.config import VerifierConfig
from verifier.store.tokens import add_token

pytest_plugins = ("verifier_fixtures",)
RED, GREEN, LOST = id_numbers(3, seed=404)


async def seeded(api: Api) -> None:
    codes = csv_body(
        "id_number,color,updated_at", [f"{RED},red,2026-11-01", f"{GREEN},green,2026-11-01"]
    )
    cards = f'{{"id_number": "{LOST}", "status": "lost", "updated_at": "2026-11-01"}}\n'
    for kind, body in (("codes", codes), ("cards", cards.encode())):
        answer = await api.client.put(f"/v1/feeds/{kind}", content=body, headers=api.auth("admin"))
        assert answer.status_code == 200, answer.text


def judged(answer: dict[str, Any]) -> dict[str, Any]:
    """The answer without its clock readings."""
    return {key: value for key, value in answer.items() if key not in ("at", "data_age_s")}


@pytest.mark.parametrize(
    ("role", "status"),
    [(None, 401), ("kiosk", 403), ("feeder", 403), ("staff", 200), ("admin", 200)],
)
async def test_only_staff_and_admin_may_look_up(api: Api, role: str | None, status: int) -> None:
    headers = api.auth(role) if role else {}
    answer = await api.client.post(
        "/v1/lookup", json={"id_number": GREEN, "site": "hospital-a"}, headers=headers
    )
    assert answer.status_code == status, answer.text
    assert GREEN not in answer.text


async def test_the_answer_names_the_reasons_and_never_the_number(api: Api) -> None:
    await seeded(api)
    for number, verdict, reason in (
        (RED, "DENY", "CODE_RED"),
        (LOST, "CHECK", "CARD_REPORTED_LOST"),
    ):
        answer = await api.client.post(
            "/v1/lookup",
            json={"id_number": number.lower(), "site": "metro-2"},
            headers=api.auth("staff"),
        )
        body = answer.json()
        assert answer.status_code == 200 and body["verdict"] == verdict, body
        assert reason in body["reasons"] and body["site"] == "metro-2"
        assert body["policy"] == "metro" and set(body["checks"]) == {
            "person",
            "card",
            "code",
            "travel",
        }
        assert number not in answer.text and number[:17] not in answer.text


@pytest.mark.parametrize(
    ("sent", "why"),
    [
        (GREEN[:17] + ("1" if GREEN[17] != "1" else "2"), "check digit"),
        (GREEN[:16], "expected 18 or 15 characters"),
        (GREEN + "0" * 15, "at most 32 characters"),
        ("ABC" + GREEN[:12], None),
        ("", "at least 1 character"),
    ],
)
async def test_a_bad_number_is_a_422_naming_the_field_not_the_value(
    api: Api, sent: str, why: str | None
) -> None:
    answer = await api.client.post(
        "/v1/lookup", json={"id_number": sent, "site": "hospital-a"}, headers=api.auth("staff")
    )
    if why is None:  # a well-formed 2017 foreigner number: judged, not refused
        assert answer.status_code == 200 and sent not in answer.text
        return
    problem = answer.json()
    assert answer.status_code == 422, problem
    assert answer.headers["content-type"] == "application/problem+json"
    assert "body.id_number" in problem["detail"] and why in problem["detail"]
    assert not sent or sent not in answer.text
    assert GREEN[:12] not in answer.text


async def test_no_number_in_a_query_or_path_and_no_extra_fields(api: Api) -> None:
    staff = api.auth("staff")
    in_query = await api.client.post(f"/v1/lookup?id_number={GREEN}&site=x", headers=staff)
    assert in_query.status_code == 422 and GREEN not in in_query.text
    in_path = await api.client.get(f"/v1/lookup/{GREEN}", headers=staff)
    assert in_path.status_code in (404, 405) and GREEN not in in_path.text
    extra = await api.client.post(
        "/v1/lookup",
        json={"id_number": GREEN, "site": "hospital-a", "subject": "ab" * 32},
        headers=staff,
    )
    assert extra.status_code == 422 and "body.subject" in extra.json()["detail"]


async def test_a_site_bound_staff_token_looks_up_at_its_own_site_only(api: Api) -> None:
    token = add_token(api.engine, name="desk-metro", role="staff", site="metro-2")
    desk = {"Authorization": f"Bearer {token}"}
    own = await api.client.post(
        "/v1/lookup", json={"id_number": GREEN, "site": "metro-2"}, headers=desk
    )
    other = await api.client.post(
        "/v1/lookup", json={"id_number": GREEN, "site": "hospital-a"}, headers=desk
    )
    assert own.status_code == 200 and other.status_code == 403
    assert GREEN not in other.text


async def test_the_cli_and_the_route_give_one_answer(
    api: Api, config: VerifierConfig, tmp_path: Path
) -> None:
    """The CLI reads the number from stdin (an argument would show in ps and shell history)."""
    await seeded(api)
    config_path = tmp_path / "data" / "verifier.toml"
    text = config_path.read_text().replace(
        "[policy.sites]\n", '[policy.sites]\n"metro-2" = "metro"\n'
    )
    config_path.write_text(text)
    route = await api.client.post(
        "/v1/lookup", json={"id_number": RED, "site": "metro-2"}, headers=api.auth("admin")
    )
    result = CliRunner().invoke(
        app, ["lookup", "--config", str(config_path), "--site", "metro-2"], input=f"{RED}\n"
    )
    assert result.exit_code == 0, result.stderr
    assert judged(json.loads(result.stdout)) == judged(route.json())
    assert RED not in result.stdout + result.stderr
    bad = CliRunner().invoke(
        app, ["lookup", "--config", str(config_path), "--site", "metro-2"], input="12345\n"
    )
    assert bad.exit_code == 2 and "ID_NUMBER: expected 18 or 15 characters" in bad.stderr
