"""Verify reads from a PostgreSQL hot standby (verifier/store/pg_reads.py), with a real primary
and a real standby made by ``pg_basebackup`` (tests/pgcluster.py) and a real ``yzt verifier
serve`` whose ``[store] url`` is the primary and ``read_urls`` the standby: a feed imported on
the primary reaches verify answers through the standby; with the standby stopped verify answers
from the primary; with the primary stopped verify answers from the standby (tokens included)
while an import fails with one plain line."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from pgcluster import Cluster, primary_and_standby, wait_replayed
from verifier_helpers import PEPPER, csv_body, id_numbers, serving, write_config

from verifier.store import open_store
from verifier.store.tokens import add_token
from verifier.subjects import subject_of

pytestmark = pytest.mark.postgres
DATABASE = "yzt"
CODES = "id_number,color,reason,updated_at"
YZT = (sys.executable, "-m", "verifier.cli")
RULES = Path(__file__).resolve().parents[2] / "deploy/prometheus/yzt-alerts.yml"


@pytest.fixture
def clusters() -> Iterator[tuple[Cluster, Cluster]]:
    with primary_and_standby() as (primary, standby):
        primary.value(f"CREATE DATABASE {DATABASE}")
        yield primary, standby


def config_for(data: Path, primary: Cluster, standby: Cluster) -> Path:
    """Primary as ``url``, standby as ``read_urls``; every request looks its token up again
    (``token_cache_s = 0``), so the lookups' fall-back is exercised too."""
    path = write_config(data, primary.url(DATABASE))
    text = path.read_text(encoding="utf-8")
    replica = f'read_urls = ["{standby.url(DATABASE)}"]\n'
    text = text.replace("[store]\n", f"[store]\n{replica}", 1)
    path.write_text(text.replace("token_cache_s = 5.0", "token_cache_s = 0"), encoding="utf-8")
    return path


def import_codes(config: Path, rows: list[str], folder: Path) -> subprocess.CompletedProcess[str]:
    feed = folder / f"codes-{uuid.uuid4().hex[:8]}.csv"
    feed.write_bytes(csv_body(CODES, rows))
    command = [*YZT, "import", "codes", "--config", str(config), str(feed)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def verifier(base: str, token: str) -> Callable[[str], httpx.Response]:
    def verify(subject: str) -> httpx.Response:
        body = {
            "subject": subject,
            "site": "hospital-a",
            "event_id": str(uuid.uuid4()),
            "card": {"card_type": "resident", "valid_until": None, "age_band": "60+"},
        }
        auth = {"Authorization": f"Bearer {token}"}
        return httpx.post(f"{base}/v1/verify", json=body, headers=auth, timeout=30)

    return verify


def code_reasons(answer: httpx.Response) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [r for r in answer.json()["reasons"] if r.startswith("CODE_")]


def scans(cluster: Cluster) -> int:
    """Reads of the health-code table this server itself has served (its own statistics)."""
    query = (
        "SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) FROM pg_stat_user_tables "
        "WHERE relname = 'health_codes'"
    )
    with_db = cluster.conninfo.replace("dbname=postgres", f"dbname={DATABASE}")
    with psycopg.connect(with_db, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        row = conn.execute(query).fetchone()
    return int(row[0]) if row else 0


def replica_gauges(base: str) -> dict[str, float]:
    """The standby's samples on /metrics, by metric name."""
    text = httpx.get(f"{base}/metrics", timeout=10).text
    found = re.findall(r'^(yzt_store_replica_\w+)\{replica="[^"]+"\} (\S+)$', text, re.M)
    return {name: float(value) for name, value in found}


def fleet_line(base: str, staff: str) -> tuple[str, str]:
    """The standby's line on the staff console's /fleet page: its state and English words."""
    page = httpx.get(f"{base}/fleet", headers={"Authorization": f"Bearer {staff}"}, timeout=10)
    assert page.status_code == 200, page.text
    found = re.search(
        r'data-replica="[^"]+" data-state="(\w+)">.*?· ([^<]+?)\s*</span>', page.text, re.S
    )
    assert found, page.text
    return found.group(1), found.group(2)


def until(condition: Callable[[], bool], what: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"still not {what} after {timeout_s:.0f} s"
        time.sleep(0.2)


def test_verify_reads_from_the_standby_and_survives_either_server_stopping(
    clusters: tuple[Cluster, Cluster], tmp_path: Path
) -> None:
    primary, standby = clusters
    config = config_for(tmp_path / "data", primary, standby)
    engine = open_store(primary.url(DATABASE))
    kiosk = add_token(engine, name="lane-1", role="kiosk", kiosk_id="lane-1", site="hospital-a")
    staff = add_token(engine, name="desk", role="staff")
    engine.dispose()
    red, yellow = id_numbers(2, seed=31)
    with serving(config, tmp_path / "serve.log") as base:
        verify = verifier(base, kiosk)
        subject = subject_of(PEPPER, red)
        assert code_reasons(verify(subject)) == ["CODE_NO_RECORD"]

        imported = import_codes(config, [f"{red},red,case,2026-11-01T00:00:00Z"], tmp_path)
        assert imported.returncode == 0, imported.stderr
        wait_replayed(primary, standby)
        before = scans(standby)
        assert code_reasons(verify(subject)) == ["CODE_RED"]
        until(lambda: scans(standby) > before, "read on the standby")
        until(lambda: replica_gauges(base).get("yzt_store_replica_up") == 1, "reported up")
        assert replica_gauges(base)["yzt_store_replica_lag_seconds"] >= 0
        alerted = set(re.findall(r"\byzt_store_replica_\w+", RULES.read_text(encoding="utf-8")))
        assert alerted and alerted <= set(replica_gauges(base)), "the alerts' names are exported"

        standby.stop()
        for _ in range(3):
            assert code_reasons(verify(subject)) == ["CODE_RED"]  # from the primary
        until(lambda: replica_gauges(base).get("yzt_store_replica_up") == 0, "reported down")
        assert "yzt_store_replica_lag_seconds" not in replica_gauges(base)
        assert fleet_line(base, staff) == ("down", "down, verify reads use the primary")

        standby.start()
        until(lambda: replica_gauges(base).get("yzt_store_replica_up") == 1, "back up")
        assert fleet_line(base, staff)[0] == "current"
        update = import_codes(config, [f"{yellow},yellow,contact,2026-11-02T00:00:00Z"], tmp_path)
        assert update.returncode == 0, update.stderr
        wait_replayed(primary, standby)

        primary.stop()
        ready = httpx.get(f"{base}/readyz", timeout=10)
        assert (ready.status_code, ready.json()["status"]) == (200, "reads only"), ready.text
        yellow_subject = subject_of(PEPPER, yellow)
        for _ in range(3):  # the token, then the facts, read from the standby
            assert code_reasons(verify(subject)) == ["CODE_RED"]
            assert code_reasons(verify(yellow_subject)) == ["CODE_YELLOW"]
        refused = import_codes(config, [f"{yellow},green,ok,2026-11-03T00:00:00Z"], tmp_path)
        assert refused.returncode == 2
        lines = refused.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: store"), refused.stderr
        assert "Traceback" not in refused.stderr and "Connection refused" in lines[0]
        assert code_reasons(verify(yellow_subject)) == ["CODE_YELLOW"]
    log = (tmp_path / "serve.log").read_text()
    assert "Traceback" not in log and red not in log
