"""The fleet on the verifier's /metrics (verifier/fleet/metrics.py): per-kiosk gauges from
real heartbeats on SQLite and PostgreSQL; the names the alert rules and the Grafana dashboard
use all exist on a real ``yzt verifier serve``; and a real Prometheus loading
deploy/prometheus/yzt-alerts.yml raises, for the 50 simulated kiosks, the alerts the staff
console shows."""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import yaml
from conftest import REPO, in_ci
from fleet_sim import Served, SimKiosk, reader_fault, running_fleet, status_doc
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import delete, text, update
from verifier_helpers import Api, free_port

from verifier.store.schema import heartbeats
from verifier.timeutil import utcnow

pytest_plugins = ("verifier_fixtures",)

RULES = REPO / "deploy/prometheus/yzt-alerts.yml"
DASHBOARD = REPO / "deploy/grafana/yzt-fleet.json"
NAME = re.compile(r"\byzt_[a-z0-9_]+")
REPLICA = "yzt_store_replica_"
"""Exported only with ``[store] read_urls``: checked on a verifier with a real standby
(tests/verifier/test_store_pg_reads.py)."""
SUFFIXES = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_count", "_sum")}
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
Post = Callable[[dict[str, Any]], Awaitable[None]]


def samples(body: str) -> Samples:
    """Every sample of a scrape, keyed by name and labels."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
    }


def kiosk_value(found: Samples, name: str, kiosk: str, site: str, **extra: str) -> float | None:
    return found.get((name, frozenset({"kiosk": kiosk, "site": site, **extra}.items())))


async def scrape(api: Api) -> Samples:
    answer = await api.client.get("/metrics")
    assert answer.status_code == 200, answer.text
    return samples(answer.text)


@pytest.fixture
def post(api: Api, kiosk_auth: Callable[[str, str], dict[str, str]]) -> Post:
    """Post a heartbeat with the kiosk's own token."""

    async def post(doc: dict[str, Any]) -> None:
        headers = kiosk_auth(doc["kiosk_id"], doc["site"])
        answer = await api.client.post("/v1/heartbeat", json=doc, headers=headers)
        assert answer.status_code == 200, answer.text

    return post


def backdate(api: Api, kiosk_id: str, by: timedelta) -> None:
    with api.engine.begin() as conn:
        conn.execute(
            update(heartbeats)
            .where(heartbeats.c.kiosk_id == kiosk_id)
            .values(received_at=utcnow() - by)
        )


async def test_each_kiosk_is_a_set_of_gauges_from_its_last_heartbeat(api: Api, post: Post) -> None:
    broken = status_doc(
        "lane-2",
        "metro-2",
        **reader_fault("READER_JAMMED", "the reader stopped answering"),
        outbox={"pending": 250, "oldest_age_s": 1800.0, "rejected": 0},
        clock_drift_s=-47.0,
    )
    for doc in (status_doc("lane-1", "hospital-a"), broken, status_doc("lane-3", "hospital-a")):
        await post(doc)
    await post({"kiosk_id": "old-1", "site": "metro-2"})
    backdate(api, "lane-3", timedelta(minutes=10))
    found = await scrape(api)

    def value(name: str, kiosk: str, **extra: str) -> float | None:
        site = "metro-2" if kiosk in ("lane-2", "old-1") else "hospital-a"
        return kiosk_value(found, name, kiosk, site, **extra)

    assert value("yzt_fleet_heartbeat_age_seconds", "lane-1") < 60
    assert 600 <= value("yzt_fleet_heartbeat_age_seconds", "lane-3") < 660
    assert 540 <= value("yzt_fleet_risklist_age_seconds", "lane-1") < 600, "as sent + since"
    assert 1140 <= value("yzt_fleet_risklist_age_seconds", "lane-3") < 1200
    assert value("yzt_fleet_reader_ok", "lane-1") == 1
    assert value("yzt_fleet_reader_ok", "lane-2") == 0
    assert value("yzt_fleet_outbox_pending", "lane-1") == 0
    assert value("yzt_fleet_outbox_pending", "lane-2") == 250
    assert value("yzt_fleet_outbox_oldest_age_seconds", "lane-2") == 1800
    assert value("yzt_fleet_outbox_oldest_age_seconds", "lane-1") is None, "nothing waits"
    assert value("yzt_fleet_clock_drift_seconds", "lane-2") == -47
    assert value("yzt_fleet_taps_today", "lane-1") == 212
    assert value("yzt_fleet_elder_taps_today", "lane-1") == 61
    verdicts = {
        v: value("yzt_fleet_verdicts_today", "lane-1", verdict=v) for v in ["PASS", "CHECK", "DENY"]
    }
    assert verdicts == {"PASS": 201, "CHECK": 9, "DENY": 2}
    old = {name for (name, labels) in found if ("kiosk", "old-1") in labels}
    assert old == {"yzt_fleet_heartbeat_age_seconds"}, "a field not sent has no sample"
    assert found[("yzt_fleet_store_up", frozenset())] == 1
    fleet_labels = {
        key for (name, labels) in found if name.startswith("yzt_fleet_") for key, _ in labels
    }
    assert fleet_labels == {"kiosk", "site", "verdict"}


async def test_a_kiosk_whose_row_is_gone_drops_out(api: Api, post: Post) -> None:
    for kiosk_id in ("lane-1", "lane-9"):
        await post(status_doc(kiosk_id, "hospital-a"))
    assert kiosk_value(await scrape(api), "yzt_fleet_reader_ok", "lane-9", "hospital-a") == 1
    with api.engine.begin() as conn:
        conn.execute(delete(heartbeats).where(heartbeats.c.kiosk_id == "lane-9"))
    found = await scrape(api)
    assert not [labels for (_, labels) in found if ("kiosk", "lane-9") in labels]
    assert kiosk_value(found, "yzt_fleet_reader_ok", "lane-1", "hospital-a") == 1


async def test_a_failing_store_still_answers_metrics_and_says_so(api: Api, post: Post) -> None:
    await post(status_doc("lane-1", "hospital-a"))
    with api.engine.begin() as conn:
        conn.execute(text("ALTER TABLE heartbeats RENAME TO heartbeats_away"))
    try:
        found = await scrape(api)
    finally:
        with api.engine.begin() as conn:
            conn.execute(text("ALTER TABLE heartbeats_away RENAME TO heartbeats"))
    assert found[("yzt_fleet_store_up", frozenset())] == 0
    assert not [name for (name, _) in found if name == "yzt_fleet_heartbeat_age_seconds"]
    assert [name for (name, _) in found if name == "yzt_verifier_requests_total"]
    assert (await scrape(api))[("yzt_fleet_store_up", frozenset())] == 1


def used_names() -> dict[str, set[str]]:
    """The yzt_ metric names each ops file queries."""
    groups = yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"]
    exprs = [rule["expr"] for group in groups for rule in group["rules"]]
    board = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    queries = [t["expr"] for p in board["panels"] for t in p["targets"]]
    queries += [v.get("definition", "") for v in board["templating"]["list"]]
    return {
        RULES.name: {n for e in exprs for n in NAME.findall(e)},
        DASHBOARD.name: {n for q in queries for n in NAME.findall(q)},
    }


def exported_names(body: str) -> set[str]:
    """Names a query can use: each family's samples, or its name with its type's suffixes
    (a counter with no labelled child yet has no samples, but ``_total`` is its name)."""
    names: set[str] = set()
    for family in text_string_to_metric_families(body):
        names |= {s.name for s in family.samples}
        names |= {family.name + suffix for suffix in SUFFIXES.get(family.type, ("",))}
    return names


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with running_fleet(tmp_path_factory.mktemp("fleet-metrics")) as served:
        yield served


def test_rules_and_dashboard_query_only_names_a_real_verifier_exports(served: Served) -> None:
    body = httpx.get(f"{served.url}/metrics").text
    exported = exported_names(body)
    for path, used in used_names().items():
        assert used, path
        names = {name for name in used if not name.startswith(REPLICA)}
        assert names <= exported, f"{path} queries {sorted(names - exported)}: not on /metrics"


def prometheus_binary() -> str:
    found = shutil.which("prometheus")
    if found is None:
        message = "prometheus is not installed (Debian package prometheus, see the Makefile)"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture(scope="module")
def prometheus(served: Served, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Prometheus with the shipped rules, scraping the served verifier every second as
    two targets — like two replicas on one database, so every kiosk comes twice."""
    binary = prometheus_binary()
    home = tmp_path_factory.mktemp("prometheus")
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(RULES)],
        "scrape_configs": [
            {
                "job_name": "yzt-verifier",
                "static_configs": [
                    {"targets": [served.url.removeprefix("http://")], "labels": {"replica": r}}
                    for r in ("a", "b")
                ],
            }
        ],
    }
    (home / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    with (home / "prometheus.log").open("wb") as log:
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={home / 'prometheus.yml'}",
                f"--storage.tsdb.path={home / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while not ready(url):
            alive = process.poll() is None
            assert alive and time.monotonic() < deadline, (home / "prometheus.log").read_text()
            time.sleep(0.2)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/-/ready", timeout=5).status_code == 200
    except httpx.TransportError:
        return False


Alerts = dict[str, dict[str, list[str]]]


def active_alerts(url: str) -> Alerts:
    """``{alertname: {state: [kiosk or instance, …]}}`` as Prometheus reports them (a kiosk
    alerted twice is listed twice)."""
    alerts: Alerts = {}
    for alert in httpx.get(f"{url}/api/v1/alerts", timeout=5).json()["data"]["alerts"]:
        labels = alert["labels"]
        who = labels.get("kiosk", labels.get("instance", "?"))
        alerts.setdefault(labels["alertname"], {}).setdefault(alert["state"], []).append(who)
    return {
        name: {state: sorted(w) for state, w in states.items()} for name, states in alerts.items()
    }


def expected_alerts(kiosks: list[SimKiosk]) -> Alerts:
    """What the console's codes for each simulated kiosk mean in Prometheus: no-``for`` alerts
    fire at once, the others wait (pending) for their ``for``. A backlog that does not grow is
    the console's alone: OutboxBacklogGrowing wants 15 minutes of growth."""

    def having(*codes: str) -> list[str]:
        return sorted(k.kiosk_id for k in kiosks if k.codes & set(codes))

    readers = (
        "READER_JAMMED",
        "READER_UNPLUGGED",
        "READER_SERVICE_DOWN",
        "READER_CARD_PULLED",
        "READER_ERROR",
    )
    return {
        "KioskOffline": {"firing": having("OFFLINE")},
        "RiskListStale": {"firing": having("RISKLIST_STALE")},
        "RiskListAging": {"firing": having("RISKLIST_AGING")},
        "ReaderErrors": {"pending": having(*readers)},
        "ClockDrift": {"pending": having("CLOCK_DRIFT")},
    }


def test_prometheus_raises_the_alerts_the_console_shows(served: Served, prometheus: str) -> None:
    expected = expected_alerts(served.kiosks)
    assert all(who for states in expected.values() for who in states.values())
    deadline = time.monotonic() + 60
    seen = active_alerts(prometheus)
    while seen != expected and time.monotonic() < deadline:
        time.sleep(0.5)
        seen = active_alerts(prometheus)
    assert seen == expected
