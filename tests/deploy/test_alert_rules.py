"""The Prometheus files in deploy/prometheus and the Grafana dashboard in deploy/grafana: Debian's
``promtool`` checks and unit-tests the rules (tests/deploy/promtool/yzt-alerts.test.yml) and the
example config, the dashboard's queries parse as PromQL, and the thresholds are the console's.
That the metric names exist on a real verifier's /metrics is
tests/verifier/fleet/test_fleet_metrics.py."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from deploykit import DEPLOY, REPO, need

from kiosk.offline.config import OfflineConfig
from verifier.config import FleetConfig, StoreConfig

RULES = DEPLOY / "prometheus/yzt-alerts.yml"
PROMETHEUS_YML = DEPLOY / "prometheus/prometheus.yml"
RULE_TESTS = REPO / "tests/deploy/promtool/yzt-alerts.test.yml"
DASHBOARD = DEPLOY / "grafana/yzt-fleet.json"
ALERTS = {
    "KioskOffline",
    "RiskListStale",
    "RiskListAging",
    "RiskListMissing",
    "OutboxBacklogGrowing",
    "ReaderErrors",
    "ClockDrift",
    "VerifierDown",
    "VerifierStoreDown",
    "StoreReplicaLagging",
    "StoreReplicaDown",
}
PANELS = {
    "Kiosks online",
    "Offline kiosks",
    "Verdicts per minute",
    "Risk-list age",
    "Outbox backlog",
    "Verify latency p95",
}
CJK = re.compile(r"[\u4e00-\u9fff]")


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [need("promtool"), *args], capture_output=True, text=True, timeout=60, cwd=REPO
    )


def rules() -> dict[str, dict[str, Any]]:
    groups = yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"]
    return {rule["alert"]: rule for group in groups for rule in group["rules"]}


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return loaded


def test_promtool_accepts_the_rules_and_the_example_config() -> None:
    checked = promtool("check", "rules", str(RULES))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len(ALERTS)} rules found" in checked.stdout
    config = promtool("check", "config", str(PROMETHEUS_YML))
    assert config.returncode == 0, config.stdout + config.stderr
    assert "SUCCESS: 1 rule files found" in config.stdout


def test_the_rules_fire_when_and_only_when_they_should() -> None:
    tested = promtool("test", "rules", str(RULE_TESTS))
    assert tested.returncode == 0, tested.stdout + tested.stderr
    cases = yaml.safe_load(RULE_TESTS.read_text(encoding="utf-8"))["tests"]
    covered = {c["alertname"] for case in cases for c in case["alert_rule_test"] if c["exp_alerts"]}
    assert covered == ALERTS, "every alert has a unit test that makes it fire"


def test_a_broken_rule_fails_the_unit_tests(tmp_path: Path) -> None:
    """The unit tests notice a changed threshold (a copy of the rules, 2 min → 3 min)."""
    (tmp_path / "deploy/prometheus").mkdir(parents=True)
    (tmp_path / "tests/deploy/promtool").mkdir(parents=True)
    text = RULES.read_text(encoding="utf-8")
    rule = "(yzt_fleet_heartbeat_age_seconds) > 120\n"
    broken = text.replace(rule, rule.replace("120", "180"))
    assert broken != text
    (tmp_path / "deploy/prometheus/yzt-alerts.yml").write_text(broken, encoding="utf-8")
    copy = tmp_path / "tests/deploy/promtool/yzt-alerts.test.yml"
    copy.write_text(RULE_TESTS.read_text(encoding="utf-8"), encoding="utf-8")
    tested = promtool("test", "rules", str(copy))
    assert tested.returncode != 0
    assert "alertname: KioskOffline" in tested.stderr


def test_every_alert_says_what_to_do_in_english_and_chinese() -> None:
    found = rules()
    assert set(found) == ALERTS
    for name, rule in found.items():
        assert rule["labels"]["severity"] in ("critical", "warning"), name
        notes = rule["annotations"]
        assert set(notes) == {"summary", "description", "summary_zh", "description_zh"}, name
        assert not CJK.search(notes["summary"] + notes["description"]), name
        assert CJK.search(notes["summary_zh"]) and CJK.search(notes["description_zh"]), name
        assert re.search(r"\b(check|run|restore|reseat)\b", notes["description"], re.I), name


@pytest.mark.parametrize(
    ("alert", "seconds"),
    [
        ("KioskOffline", FleetConfig().offline_after_s),
        ("RiskListStale", FleetConfig().risklist_stale_s),
        ("RiskListStale", OfflineConfig().freshness_window_s),
        ("RiskListAging", FleetConfig().risklist_warn_s),
        ("OutboxBacklogGrowing", FleetConfig().outbox_oldest_max_s),
        ("ClockDrift", FleetConfig().clock_drift_max_s),
        ("StoreReplicaLagging", StoreConfig(url="sqlite://").replica_lag_max_s),
    ],
)
def test_thresholds_are_the_consoles_and_the_kiosks(alert: str, seconds: float) -> None:
    """Prometheus and the staff console call the same kiosk broken; the risk list goes stale
    when the kiosk stops trusting it."""
    assert re.search(rf"> {int(seconds)}\b", rules()[alert]["expr"]), (alert, seconds)


def test_the_dashboard_has_the_ops_panels_and_variables() -> None:
    board = dashboard()
    assert board["uid"] == "yzt-fleet"
    assert 36 <= board["schemaVersion"] <= 41
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    site = variables["site"]
    assert site["type"] == "query" and site["includeAll"] and site["multi"]
    assert site["allValue"] == ".*"
    assert site["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
    panels = board["panels"]
    titles = {p["title"].split(" · ")[0] for p in panels}
    assert titles >= PANELS, PANELS - titles
    assert len({p["id"] for p in panels}) == len(panels)
    taken: set[tuple[int, int]] = set()
    for panel in panels:
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        cells = {
            (x, y)
            for x in range(grid["x"], grid["x"] + grid["w"])
            for y in range(grid["y"], grid["y"] + grid["h"])
        }
        assert not cells & taken, f"{panel['title']} overlaps another panel"
        taken |= cells
        assert panel["targets"] and all(t["expr"] for t in panel["targets"]), panel["title"]
        site_filtered = any("$site" in t["expr"] for t in panel["targets"])
        assert site_filtered or "latency" in panel["title"], f"{panel['title']} ignores $site"


def test_the_dashboard_queries_are_promql(tmp_path: Path) -> None:
    """Each query, with Grafana's variables filled in, is loaded by promtool as a rule."""
    exprs = [t["expr"] for p in dashboard()["panels"] for t in p["targets"]]
    filled = [e.replace("$site", ".*").replace("$__rate_interval", "1m") for e in exprs]
    recorded = [{"record": f"yzt:dashboard_{n}", "expr": e} for n, e in enumerate(filled)]
    path = tmp_path / "dashboard-rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": recorded}]}))
    checked = promtool("check", "rules", str(path))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len(exprs)} rules found" in checked.stdout
