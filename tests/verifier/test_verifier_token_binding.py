"""A kiosk token speaks for one kiosk at one site (verifier/store/tokens.py, ``check_kiosk`` in
verifier/api/deps.py), on SQLite and PostgreSQL: a site-B token posing as site A's lane-1 is
refused (403, problem details naming the field and the token's own kiosk and site) and changes
nothing; a token issued before tokens named their kiosk binds on its first use, once, even when
replicas race; and ``yzt verifier token add`` says which option is missing."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fleet_sim import status_doc
from sqlalchemy import Engine, func, insert, select
from typer.testing import CliRunner
from verifier_helpers import Api, write_config

from verifier.cli import app
from verifier.store import open_store
from verifier.store.schema import events, heartbeats, tokens
from verifier.store.tokens import bind_token, find_token, token_hash

pytest_plugins = ("verifier_fixtures",)

KioskAuth = Callable[[str, str], dict[str, str]]
SUBJECT = "ab" * 32


def event(i: int, kiosk_id: str = "lane-1", site: str = "hospital-a") -> dict[str, Any]:
    return {
        "event_id": f"ev-{i}",
        "kiosk_id": kiosk_id,
        "site": site,
        "at": datetime.now(UTC).isoformat(),
        "verdict": "PASS",
        "reasons": ["CODE_GREEN"],
        "source": "online",
        "card_type": "resident",
        "age_band": "60+",
        "subject": SUBJECT,
        "latency_ms": 80.0,
    }


def old_token(engine: Engine, site: str | None = None) -> tuple[str, int]:
    """A kiosk token as issued before revision 0102: no kiosk id (and maybe no site)."""
    token = secrets.token_urlsafe(32)
    row = {"name": "old", "role": "kiosk", "site": site, "sha256": token_hash(token)}
    with engine.begin() as conn:
        result = conn.execute(insert(tokens).values(**row, created_at=datetime.now(UTC)))
    return token, int(result.inserted_primary_key[0])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def count(engine: Engine, table: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


async def fleet(api: Api) -> list[tuple[str, str, Any, str]]:
    answer = await api.client.get("/v1/fleet", headers=api.auth("staff"))
    return [(k["kiosk_id"], k["site"], k["doc"], k["received_at"]) for k in answer.json()["kiosks"]]


@pytest.mark.parametrize(
    ("kiosk_id", "site", "field"),
    [
        ("lane-1", "hospital-a", "kiosk_id"),
        ("lane-9", "hospital-a", "site"),
        ("lane-1", "x", "kiosk_id"),
    ],
)
async def test_a_site_b_token_cannot_heartbeat_as_site_as_lane_1(
    api: Api, kiosk_auth: KioskAuth, kiosk_id: str, site: str, field: str
) -> None:
    own = await api.client.post(
        "/v1/heartbeat",
        json=status_doc("lane-1", "hospital-a"),
        headers=kiosk_auth("lane-1", "hospital-a"),
    )
    assert own.status_code == 200
    before = await fleet(api)
    spoof = status_doc(kiosk_id, site, reader={"state": "error", "detail": "spoofed"})
    answer = await api.client.post(
        "/v1/heartbeat", json=spoof, headers=kiosk_auth("lane-9", "hospital-b")
    )
    assert answer.status_code == 403
    assert answer.headers["content-type"] == "application/problem+json"
    detail = answer.json()["detail"]
    assert detail.startswith(f"{field}: ") and "kiosk lane-9 at site hospital-b" in detail
    assert await fleet(api) == before, "site A's lane-1 is still there, unchanged"


async def test_a_site_b_token_cannot_post_events_as_site_as_lane_1(
    api: Api, kiosk_auth: KioskAuth
) -> None:
    spoof = {"events": [event(1), event(2)]}
    answer = await api.client.post(
        "/v1/events", json=spoof, headers=kiosk_auth("lane-9", "hospital-b")
    )
    assert answer.status_code == 403
    assert answer.json()["detail"].startswith("events[0].kiosk_id: this token belongs to kiosk")
    mixed = {"events": [event(3, "lane-9", "hospital-b"), event(4, "lane-9", "hospital-a")]}
    answer = await api.client.post(
        "/v1/events", json=mixed, headers=kiosk_auth("lane-9", "hospital-b")
    )
    assert answer.status_code == 403 and answer.json()["detail"].startswith("events[1].site: ")
    assert count(api.engine, events) == 0, "nothing of either batch was stored"
    own = {"events": [event(5, "lane-9", "hospital-b")]}
    answer = await api.client.post(
        "/v1/events", json=own, headers=kiosk_auth("lane-9", "hospital-b")
    )
    assert answer.json() == {"accepted": 1, "duplicates": 0}


async def test_an_old_token_binds_to_the_kiosk_of_its_first_use(api: Api) -> None:
    token, _ = old_token(api.engine)
    answer = await api.client.post(
        "/v1/heartbeat", json=status_doc("lane-3", "clinic-b"), headers=bearer(token)
    )
    assert answer.status_code == 200
    info = find_token(api.engine, token)
    assert info is not None and (info.kiosk_id, info.site) == ("lane-3", "clinic-b")
    answer = await api.client.post(
        "/v1/heartbeat", json=status_doc("lane-4", "clinic-b"), headers=bearer(token)
    )
    assert answer.status_code == 403 and "kiosk lane-3 at site clinic-b" in answer.json()["detail"]
    events_as_own = {"events": [event(1, "lane-3", "clinic-b")]}
    answer = await api.client.post("/v1/events", json=events_as_own, headers=bearer(token))
    assert answer.json() == {"accepted": 1, "duplicates": 0}


async def test_an_old_token_cannot_take_a_kiosk_or_site_it_is_not(
    api: Api, kiosk_auth: KioskAuth
) -> None:
    kiosk_auth("lane-1", "hospital-a")  # lane-1 has a token of its own
    token, _ = old_token(api.engine)
    taken = await api.client.post(
        "/v1/heartbeat", json=status_doc("lane-1", "hospital-a"), headers=bearer(token)
    )
    assert taken.status_code == 403
    assert "kiosk_id: that kiosk has a token of its own" in taken.json()["detail"]
    assert "yzt verifier token add --role kiosk --kiosk-id" in taken.json()["detail"]
    mixed = {"events": [event(1, "lane-5", "metro-2"), event(2, "lane-6", "metro-2")]}
    answer = await api.client.post("/v1/events", json=mixed, headers=bearer(token))
    assert answer.status_code == 403 and answer.json()["detail"].startswith("events[1].kiosk_id")
    sited, _ = old_token(api.engine, site="metro-2")
    answer = await api.client.post(
        "/v1/heartbeat", json=status_doc("lane-7", "hospital-a"), headers=bearer(sited)
    )
    assert answer.status_code == 403 and "belongs to site metro-2" in answer.json()["detail"]
    for unbound in (token, sited):
        info = find_token(api.engine, unbound)
        assert info is not None and info.kiosk_id is None, "a refused request binds nothing"
    assert count(api.engine, heartbeats) == 0 and count(api.engine, events) == 0


def test_replicas_racing_to_bind_an_old_token_bind_it_once(engine: Engine) -> None:
    _, token_id = old_token(engine)
    racers = 8
    start = threading.Barrier(racers)
    seen: list[tuple[str | None, str | None]] = []

    def first_use(n: int) -> None:
        start.wait()
        info = bind_token(engine, token_id, kiosk_id=f"lane-{n}", site="metro-2")
        assert info is not None
        seen.append((info.kiosk_id, info.site))

    threads = [threading.Thread(target=first_use, args=(n,)) for n in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == racers and len(set(seen)) == 1, seen
    ((kiosk_id, site),) = set(seen)
    assert kiosk_id in {f"lane-{n}" for n in range(racers)} and site == "metro-2"


runner = CliRunner()


def cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--role", "kiosk", "--site", "hospital-a"), "--kiosk-id: required for a kiosk token"),
        (("--role", "kiosk", "--kiosk-id", "lane-1"), "--site: required for a kiosk token"),
        (("--role", "kiosk", "--kiosk-id", "lane 1", "--site", "a"), "--kiosk-id: expected 1-64"),
        (("--role", "staff", "--name", "d", "--kiosk-id", "lane-1"), "--kiosk-id: only kiosk"),
        (("--role", "staff"), "--name: required for a staff token"),
    ],
)
def test_token_add_names_the_missing_or_wrong_option(
    tmp_path: Path, args: tuple[str, ...], says: str
) -> None:
    config = str(write_config(tmp_path, f"sqlite:///{tmp_path / 'v.db'}"))
    code, out, err = cli("token", "add", "--config", config, *args)
    assert code == 2 and out == "" and says in " ".join(err.split())
    assert "Traceback" not in err
    assert count(open_store(f"sqlite:///{tmp_path / 'v.db'}"), tokens) == 0


def test_token_add_binds_a_kiosk_token_and_list_shows_it(tmp_path: Path, store_url: str) -> None:
    config = str(write_config(tmp_path, store_url))
    code, out, _ = cli(
        "token", "add", "--config", config, "--role", "kiosk", "--kiosk-id", "lane-1",
        "--site", "hospital-a",
    )  # fmt: skip
    assert code == 0
    engine = open_store(store_url)
    info = find_token(engine, out.strip())
    assert info is not None and (info.name, info.kiosk_id, info.site) == (
        "lane-1",
        "lane-1",
        "hospital-a",
    )
    code, _, err = cli(
        "token", "add", "--config", config, "--role", "kiosk", "--kiosk-id", "lane-1",
        "--site", "metro-2", "--name", "lane-1-metro",
    )  # fmt: skip
    assert code == 0 and "binds kiosk lane-1 to site hospital-a too" in " ".join(err.split())
    old_token(engine)
    code, out, _ = cli("token", "list", "--config", config)
    assert code == 0 and "lane-1" in out and "(unbound)" in out, "an old token, not yet used"
    engine.dispose()
